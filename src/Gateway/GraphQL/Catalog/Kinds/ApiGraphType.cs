using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class ApiGraphType : EntityGraphType
{
    public ApiGraphType()
        : base("API", "An interface components provide and consume.")
    {
        SpecType();
        SpecLifecycle();
        SpecString("definition", "The API definition (OpenAPI, AsyncAPI, GraphQL SDL, ...).");
        Owner();
        System();
        Many("partOf", RelationTypes.PartOf, null, "Systems this is part of.");
        Many("apiProvidedBy", RelationTypes.ApiProvidedBy, null, "Components providing this API.");
        Many("apiConsumedBy", RelationTypes.ApiConsumedBy, null, "Components consuming this API.");
        Many("dependsOn", RelationTypes.DependsOn, null, "spec.dependsOn");
        Many("dependencyOf", RelationTypes.DependencyOf, null, "What depends on this directly.");
        Graph("dependencies", GraphDirection.Dependencies, "What this depends on, transitively.");
        Graph("dependents", GraphDirection.Dependents, "What depends on this, transitively.");
    }
}
