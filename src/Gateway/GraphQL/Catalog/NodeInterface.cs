using GraphQL.Types;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>Relay's object identification: any object with a global id.</summary>
public sealed class NodeInterface : InterfaceGraphType<CatalogEntity>
{
    public NodeInterface()
    {
        Name = "Node";
        Field<NonNullGraphType<IdGraphType>>("id").Description("A global id, stable while the entity keeps its ref.");
        ResolveType = EntityGraphType.ResolverFor(this);
    }
}
