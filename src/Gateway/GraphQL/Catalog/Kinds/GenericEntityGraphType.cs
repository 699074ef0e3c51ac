using Portal.Catalog.Model;

namespace Portal.Gateway.GraphQL.Catalog.Kinds;

/// <summary>Any kind outside Backstage's nine, stored with a valid envelope.</summary>
public sealed class GenericEntityGraphType : EntityGraphType
{
    public GenericEntityGraphType()
        : base("GenericEntity", "An entity of a kind Portal has no dedicated type for.")
    {
        Many("ownerOf", RelationTypes.OwnerOf, null, "Entities this one owns.");
    }
}
