using GraphQL.Types;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class EntityConnectionGraphType : ObjectGraphType<EntityPage>
{
    public EntityConnectionGraphType()
    {
        Name = "EntityConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EntityEdgeGraphType>>>>("edges")
            .Resolve(c => c.Source.Items.Select((entity, index) => new EntityEdge(c.Source, index, entity)).ToList());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EntityInterface>>>>("nodes").Resolve(c => c.Source.Items);
        Field<NonNullGraphType<PageInfoGraphType>>("pageInfo").Resolve(c => c.Source);
        Field<NonNullGraphType<IntGraphType>>("totalCount").Description("Every entity the filter and search match.")
            .Resolve(c => c.Source.TotalCount ?? 0);
    }
}
