using Portal.Catalog.Model;

namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class SystemGraphType : EntityGraphType
{
    public SystemGraphType()
        : base("System", "A collection of components, APIs and resources that together expose some functionality.")
    {
        SpecType();
        Owner();
        One("domain", RelationTypes.PartOf, "domain", "spec.domain");
        Many("partOf", RelationTypes.PartOf, null, "Domains this is part of.");
        Many("hasPart", RelationTypes.HasPart, null, "Components, APIs and resources of this system.");
        Many("dependsOn", RelationTypes.DependsOn, null, "spec.dependsOn");
        Many("dependencyOf", RelationTypes.DependencyOf, null, "What depends on this directly.");
    }
}
