using Portal.Catalog.Model;

namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class UserGraphType : EntityGraphType
{
    public UserGraphType()
        : base("User", "A person.")
    {
        SpecJson("profile");
        Many("memberOf", RelationTypes.MemberOf, null, "spec.memberOf");
        Many("ownerOf", RelationTypes.OwnerOf, null, "Entities this user owns.");
    }
}
