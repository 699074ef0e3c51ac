using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class ResourceGraphType : EntityGraphType
{
    public ResourceGraphType()
        : base("Resource", "Infrastructure a component needs: a database, a bucket, a queue.")
    {
        SpecType();
        Owner();
        System();
        Many("partOf", RelationTypes.PartOf, null, "Systems this is part of.");
        Many("dependsOn", RelationTypes.DependsOn, null, "spec.dependsOn");
        Many("dependencyOf", RelationTypes.DependencyOf, null, "What depends on this directly.");
        Graph("dependencies", GraphDirection.Dependencies, "What this depends on, transitively.");
        Graph("dependents", GraphDirection.Dependents, "What depends on this, transitively.");
    }
}
