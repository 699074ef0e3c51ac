using GraphQL.Types;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class RelationGraphType : ObjectGraphType<RelationView>
{
    public RelationGraphType()
    {
        Name = "Relation";
        Field<NonNullGraphType<StringGraphType>>("type").ResolveProperty(r => r.Type);
        Field<NonNullGraphType<StringGraphType>>("targetRef").ResolveProperty(r => r.TargetRef);
        Field<EntityInterface>("target").Description("The target entity; null when it is not in the catalog (a dangling relation).")
            .Resolve(c => c.Portal().Entities.Load(c.Source.TargetRef, EntitySelection.PartsFor(c)));
    }
}
