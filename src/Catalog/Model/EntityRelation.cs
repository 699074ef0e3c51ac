namespace Portal.Catalog.Model;

/// <summary>One directed relation, e.g. <c>component:default/a ownedBy group:default/team</c>.</summary>
public sealed record EntityRelation(EntityRef Source, string Type, EntityRef Target);

/// <summary>The relation types Backstage defines, and each one's reverse.</summary>
public static class RelationTypes
{
    public const string OwnedBy = "ownedBy";
    public const string OwnerOf = "ownerOf";
    public const string PartOf = "partOf";
    public const string HasPart = "hasPart";
    public const string DependsOn = "dependsOn";
    public const string DependencyOf = "dependencyOf";
    public const string ProvidesApi = "providesApi";
    public const string ApiProvidedBy = "apiProvidedBy";
    public const string ConsumesApi = "consumesApi";
    public const string ApiConsumedBy = "apiConsumedBy";
    public const string MemberOf = "memberOf";
    public const string HasMember = "hasMember";
    public const string ChildOf = "childOf";
    public const string ParentOf = "parentOf";

    public static readonly IReadOnlyDictionary<string, string> Reverse = new Dictionary<string, string>
    {
        [OwnedBy] = OwnerOf,
        [OwnerOf] = OwnedBy,
        [PartOf] = HasPart,
        [HasPart] = PartOf,
        [DependsOn] = DependencyOf,
        [DependencyOf] = DependsOn,
        [ProvidesApi] = ApiProvidedBy,
        [ApiProvidedBy] = ProvidesApi,
        [ConsumesApi] = ApiConsumedBy,
        [ApiConsumedBy] = ConsumesApi,
        [MemberOf] = HasMember,
        [HasMember] = MemberOf,
        [ChildOf] = ParentOf,
        [ParentOf] = ChildOf,
    };
}
