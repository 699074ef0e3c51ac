using Portal.Catalog.Model;

namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class GroupGraphType : EntityGraphType
{
    public GroupGraphType()
        : base("Group", "A team or organisational unit.")
    {
        SpecType();
        SpecJson("profile");
        One("parent", RelationTypes.ChildOf, null, "spec.parent");
        Many("children", RelationTypes.ParentOf, null, "spec.children");
        Many("members", RelationTypes.HasMember, null, "Users in this group.");
        Many("ownerOf", RelationTypes.OwnerOf, null, "Entities this group owns.");
    }
}
