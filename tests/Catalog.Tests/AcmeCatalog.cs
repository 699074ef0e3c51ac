using Portal.Catalog.Locations;
using Portal.Testing;

namespace Portal.Catalog.Tests;

/// <summary>The catalog with the acme conformance catalog registered once, for classes that read it.</summary>
public sealed class AcmeCatalog : ModuleHost
{
    public static string CatalogInfo => SharedFiles.Path("conformance", "catalog", "acme", "catalog-info.yaml");

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await Get<LocationService>().RegisterAsync("file", CatalogInfo, CancellationToken.None);
    }
}
