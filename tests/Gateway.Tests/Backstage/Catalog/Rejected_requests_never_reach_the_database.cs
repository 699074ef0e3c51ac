using System.Net;
using System.Net.Sockets;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>
/// The gateway against a PostgreSQL address where nothing listens: a request that needs the database fails with 503,
/// so every request answered with its own 400 here was judged without one round trip.
/// </summary>
public sealed class Rejected_requests_never_reach_the_database(Rejected_requests_never_reach_the_database.UnreachableDatabaseApp app)
    : IClassFixture<Rejected_requests_never_reach_the_database.UnreachableDatabaseApp>
{
    private CatalogApiClient Api() => new(app.Factory.CreateClient());

    [Fact]
    public async Task A_valid_query_needs_the_database_and_says_it_is_unavailable()
    {
        using var api = Api();

        var response = await api.GetAsync("/entities/by-query?filter=kind=component");

        CatalogApiClient.AssertError(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "database is not reachable");
    }

    [Theory]
    [MemberData(nameof(BadRequests.Names), MemberType = typeof(BadRequests))]
    public async Task A_malformed_request_is_refused_before_any_database_call(string name)
    {
        var bad = BadRequests.Cases[name];
        using var api = Api();

        var response = await bad.SendAsync(api);

        CatalogApiClient.AssertError(response, bad.Status, bad.Name, bad.Message);
    }

    [Fact]
    public async Task Validating_an_entity_needs_no_database()
    {
        using var api = Api();

        var response = await api.PostAsync("/validate-entity", """
            {"location": "url:https://example.com/catalog-info.yaml",
             "entity": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "ok"},
                        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}}}
            """);

        Assert.Equal(HttpStatusCode.OK, response.Status);
    }

    public sealed class UnreachableDatabaseApp : IAsyncLifetime
    {
        public PortalAppFactory Factory { get; private set; } = null!;

        public ValueTask InitializeAsync()
        {
            // A port that was free a moment ago: connecting to it is refused at once.
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();

            Factory = new PortalAppFactory($"Host=127.0.0.1;Port={port};Database=portal;Username=portal;Password=unused;Timeout=5", new Dictionary<string, string?>
            {
                ["Database:MigrateOnStartup"] = "false",
                ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            });
            Factory.UseKestrel(0);
            Factory.StartServer();
            return ValueTask.CompletedTask;
        }

        public async ValueTask DisposeAsync() => await Factory.DisposeAsync();
    }
}
