using Portal.Catalog.Locations;
using Portal.Testing;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>The gateway with the acme conformance catalog registered once, for classes that read it.</summary>
public class AcmePortal : PortalApp
{
    public static string CatalogInfo => SharedFiles.Path("conformance", "catalog", "acme", "catalog-info.yaml");

    public GraphClient Graph() => new(CreateClient());

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        await Get<LocationService>().RegisterAsync("file", CatalogInfo, CancellationToken.None);
    }
}
