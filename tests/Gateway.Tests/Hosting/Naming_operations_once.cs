using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Gateway.Hosting.Authorization;
using Portal.Gateway.Tests.Backstage.Catalog;
using Portal.Gateway.Tests.GraphQL;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>A rule that names one catalog operation holds on both surfaces: the authorizer is asked about the operation, not the route or field.</summary>
public sealed class Naming_operations_once(Naming_operations_once.NoRegistrations portal) : IClassFixture<Naming_operations_once.NoRegistrations>
{
    [Fact]
    public async Task Denying_catalog_locations_register_refuses_the_REST_route_and_the_mutation_and_leaves_reading_locations_alone()
    {
        using var api = new CatalogApiClient(portal.CreateClient());
        using var graph = new GraphClient(portal.CreateClient());
        var body = JsonSerializer.Serialize(new { type = "file", target = "/nowhere/catalog-info.yaml" });

        var rest = await api.PostAsync("/locations", body);
        var mutation = await graph.PostAsync("""mutation { registerLocation(type: "file", target: "/nowhere/catalog-info.yaml") { created } }""");
        var list = await api.GetAsync("/locations");
        var query = await graph.PostAsync("{ locations { id } }");

        CatalogApiClient.AssertError(rest, HttpStatusCode.Forbidden, "NotAllowedError", "catalog.locations.register is not allowed here");
        Assert.Contains("catalog.locations.register is not allowed here", (string?)mutation.Error("FORBIDDEN")["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, list.Status);
        query.Ok();
        var asked = portal.Get<RecordingAuthorizer>().Asked;
        Assert.Contains(CatalogOperations.LocationsRead, asked);
        Assert.DoesNotContain(asked, name => name.Contains('/', StringComparison.Ordinal) || name.StartsWith("Query.", StringComparison.Ordinal));
    }

    /// <summary>Denies one operation by name and remembers every name it was asked about.</summary>
    public sealed class RecordingAuthorizer : IPortalAuthorizer
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _asked = new();

        public IReadOnlyCollection<string> Asked => _asked;

        public string? Deny(AccessRequest request)
        {
            _asked.Enqueue(request.Resource);
            return request.Resource == CatalogOperations.LocationsRegister ? $"{request.Resource} is not allowed here." : null;
        }
    }

    public sealed class NoRegistrations : PortalApp
    {
        protected override void ConfigureServices(IServiceCollection services)
        {
            services.AddSingleton<RecordingAuthorizer>();
            services.AddSingleton<IPortalAuthorizer>(provider => provider.GetRequiredService<RecordingAuthorizer>());
        }
    }
}
