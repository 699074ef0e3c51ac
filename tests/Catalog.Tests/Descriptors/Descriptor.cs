using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Ingestion.Processors;
using Portal.Catalog.Model;
using Portal.Testing;

namespace Portal.Catalog.Tests.Descriptors;

/// <summary>The built-in pipeline and small helpers shared by the descriptor tests.</summary>
internal static class Descriptor
{
    public const string Source = "catalog-info.yaml";

    public static DescriptorPipeline Pipeline(DescriptorLimits? limits = null) =>
        new([new BuiltinKindsProcessor(), new EnvelopeProcessor()], limits ?? new DescriptorLimits());

    public static DescriptorBatch Read(string yaml, DescriptorLimits? limits = null) => Pipeline(limits).ReadFile(Source, yaml);

    /// <summary>Reads a file that must hold exactly one valid entity.</summary>
    public static ProcessedEntity Accept(string yaml)
    {
        var batch = Read(yaml);
        Assert.Empty(batch.Problems);
        return Assert.Single(batch.Entities);
    }

    /// <summary>Reads a file that must be rejected with exactly one error.</summary>
    public static CatalogProblem Reject(string yaml, DescriptorLimits? limits = null)
    {
        var batch = Read(yaml, limits);
        Assert.Empty(batch.Entities);
        var problem = Assert.Single(batch.Problems);
        Assert.Equal(ProblemLevel.Error, problem.Level);
        Assert.Equal(Source, problem.Source);
        return problem;
    }

    public static string Conformance(params string[] parts) => SharedFiles.Path(["conformance", "catalog", .. parts]);

    /// <summary>A valid Component; <paramref name="spec"/> and <paramref name="metadata"/> are extra lines, indented by two.</summary>
    public static string Component(string name = "payments-api", string metadata = "", string spec = "") => $"""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        {Indent(metadata)}
        spec:
          type: service
          lifecycle: production
          owner: payments-team
        {Indent(spec)}
        """;

    private static string Indent(string lines) =>
        string.Join('\n', lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => "  " + line));
}
