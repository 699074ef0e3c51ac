using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class ComponentGraphType : EntityGraphType
{
    public ComponentGraphType()
        : base("Component", "A piece of software: a service, website, library.")
    {
        SpecType();
        SpecLifecycle();
        Owner();
        System();
        Many("partOf", RelationTypes.PartOf, null, "Systems and components this is part of.");
        Many("hasPart", RelationTypes.HasPart, null, "Subcomponents.");
        Many("providesApis", RelationTypes.ProvidesApi, null, "spec.providesApis");
        Many("consumesApis", RelationTypes.ConsumesApi, null, "spec.consumesApis");
        Many("dependsOn", RelationTypes.DependsOn, null, "spec.dependsOn");
        Many("dependencyOf", RelationTypes.DependencyOf, null, "What depends on this directly.");
        Graph("dependencies", GraphDirection.Dependencies, "What this depends on, transitively, up to depth steps.");
        Graph("dependents", GraphDirection.Dependents, "What depends on this, transitively, up to depth steps.");
    }
}
