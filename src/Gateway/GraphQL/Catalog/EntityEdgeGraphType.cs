using GraphQL.Types;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed record EntityEdge(EntityPage Page, int Index, CatalogEntity Node);

public sealed class EntityEdgeGraphType : ObjectGraphType<EntityEdge>
{
    public EntityEdgeGraphType()
    {
        Name = "EntityEdge";
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(c => c.Source.Page.CursorAfter(c.Source.Index));
        Field<NonNullGraphType<EntityInterface>>("node").Resolve(c => c.Source.Node);
    }
}
