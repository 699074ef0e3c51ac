namespace Portal.Catalog.Tests.Ingestion;

/// <summary>A temporary folder of descriptor files that a test writes, registers and changes.</summary>
internal sealed class CatalogFolder : IDisposable
{
    public CatalogFolder()
    {
        Directory.CreateDirectory(Root);
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "portal-catalog-" + Guid.NewGuid().ToString("N")[..10]);

    public string Write(string name, string content)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public static string Component(string name, string owner = "team-a", string? extra = null) => $"""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
          tags: [java]
        spec:
          type: service
          lifecycle: production
          owner: {owner}
        {extra}
        """;
}
