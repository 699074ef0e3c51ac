using Portal.Catalog.Locations;
using Portal.Testing;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>The gateway with the acme conformance catalog (19 entities) registered once, for classes that only read it.</summary>
public sealed class AcmeCatalogApp : PortalApp
{
    public static string CatalogInfo => SharedFiles.Path("conformance", "catalog", "acme", "catalog-info.yaml");

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await Get<LocationService>().RegisterAsync("file", CatalogInfo, CancellationToken.None);
    }
}
