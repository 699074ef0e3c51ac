using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using Portal.Gateway.Tests.Backstage.Catalog;
using Portal.Gateway.Tests.GraphQL;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>The gateway with one second for a request on either surface, and the database's own defaults.</summary>
public sealed class OneSecondRequestsApp : FaultApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
    [
        new("BackstageApi:RequestTimeout", "00:00:01"),
        new("Graph:ExecutionTimeout", "00:00:01"),
    ];
}

/// <summary>
/// Every request has a time limit, and when it runs out nothing of the request goes on in PostgreSQL: the gateway's
/// query waits behind a table the test locks, the request is answered at its limit, and within a second the waiting
/// query is gone from <c>pg_stat_activity</c>.
/// </summary>
public sealed class Bounding_request_time(OneSecondRequestsApp app) : IClassFixture<OneSecondRequestsApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_portals_connections_carry_a_statement_timeout_a_little_above_the_request_limits_and_no_JIT()
    {
        // A pooled connection, as a request gets one: start-up migrations ran on this pool without the timeout, and
        // must have given it back.
        await using var connection = await app.Get<NpgsqlDataSource>().OpenConnectionAsync(Cancellation);

        Assert.Equal("20s", await ShowAsync(connection, "statement_timeout"));
        Assert.Equal("off", await ShowAsync(connection, "jit"));
    }

    [Fact]
    public async Task A_REST_read_that_runs_out_of_time_is_503_with_Backstages_body_and_leaves_nothing_running()
    {
        await using var locked = await TableLock.TakeAsync(app.ConnectionString, "catalog.entities");
        using var api = new CatalogApiClient(app.CreateClient());

        var clock = Stopwatch.StartNew();
        var answer = api.GetAsync("/entities/by-query?filter=kind=component&limit=5");
        await locked.WaitForAWaiterAsync();
        var response = await WithinAsync(answer, TimeSpan.FromSeconds(10), "the REST request");
        var elapsed = clock.Elapsed;

        CatalogApiClient.AssertError(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "did not finish within 1 s (BackstageApi:RequestTimeout)");
        Assert.Equal("5", response.Headers.RetryAfter?.ToString());
        Assert.InRange(elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        await locked.AssertNothingWaitsWithinASecondAsync();
    }

    [Fact]
    public async Task A_REST_read_with_a_body_that_runs_out_of_time_leaves_nothing_running()
    {
        await using var locked = await TableLock.TakeAsync(app.ConnectionString, "catalog.entities");
        using var api = new CatalogApiClient(app.CreateClient());

        var answer = api.PostAsync("/entities/by-refs", """{"entityRefs": ["component:default/a", "component:default/b"]}""");
        await locked.WaitForAWaiterAsync();
        var response = await WithinAsync(answer, TimeSpan.FromSeconds(10), "the REST request");

        CatalogApiClient.AssertError(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "did not finish within 1 s");
        await locked.AssertNothingWaitsWithinASecondAsync();
    }

    [Fact]
    public async Task A_GraphQL_query_that_runs_out_of_time_is_a_TIMEOUT_and_leaves_nothing_running()
    {
        const string query = """{ entities(first: 5, filter: [{ kind: ["Component"] }]) { totalCount nodes { ref } } }""";
        using var graph = new GraphClient(app.CreateClient());

        // Once before the lock: a cold first request (schema, parsing, JIT on a busy machine) could spend the whole second
        // before it reaches the database, and the test would not see it wait there.
        await graph.PostAsync(query);
        await using var locked = await TableLock.TakeAsync(app.ConnectionString, "catalog.entities");
        var answer = graph.PostAsync(query);
        await locked.WaitForAWaiterAsync();
        var response = await WithinAsync(answer, TimeSpan.FromSeconds(10), "the GraphQL request");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.Status);
        response.Error("TIMEOUT");
        await locked.AssertNothingWaitsWithinASecondAsync();
    }

    [Fact]
    public async Task A_GraphQL_batch_read_of_refs_that_runs_out_of_time_leaves_nothing_running()
    {
        using var http = app.CreateClient();
        HttpRequestMessage Request()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
            {
                Content = new StringContent("""{"query": "{ entitiesByRefs(refs: [\"component:default/a\", \"api:default/b\"]) { ref } }"}""", Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/graphql-response+json"));
            return request;
        }

        using (var warm = Request())
        {
            (await http.SendAsync(warm, Cancellation)).Dispose(); // warm, as above
        }

        await using var locked = await TableLock.TakeAsync(app.ConnectionString, "catalog.entities");
        using var request = Request();
        var answer = http.SendAsync(request, Cancellation);
        await locked.WaitForAWaiterAsync();
        using var response = await WithinAsync(answer, TimeSpan.FromSeconds(10), "the GraphQL request");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        await locked.AssertNothingWaitsWithinASecondAsync();
    }

    [Fact]
    public async Task Facets_that_run_out_of_time_leave_nothing_running_though_their_computation_is_shared()
    {
        await using var locked = await TableLock.TakeAsync(app.ConnectionString, "catalog.entities");
        using var api = new CatalogApiClient(app.CreateClient());

        // Two callers of the same facets share one computation; when both have given up, it is cancelled too.
        var answers = new[]
        {
            api.GetAsync("/entity-facets?facet=spec.lifecycle&filter=kind=component"),
            api.GetAsync("/entity-facets?facet=spec.lifecycle&filter=kind=component"),
        };
        await locked.WaitForAWaiterAsync();
        foreach (var answer in answers)
        {
            var response = await WithinAsync(answer, TimeSpan.FromSeconds(10), "the facets request");
            CatalogApiClient.AssertError(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "did not finish within 1 s");
        }

        await locked.AssertNothingWaitsWithinASecondAsync();
    }

    private static async Task<string> ShowAsync(NpgsqlConnection connection, string setting)
    {
        await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
        return (string)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    /// <summary>The answer, which must come within <paramref name="patience"/> (a request with no time limit never does).</summary>
    internal static async Task<T> WithinAsync<T>(Task<T> answer, TimeSpan patience, string what)
    {
        var first = await Task.WhenAny(answer, Task.Delay(patience, Cancellation));
        Assert.True(first == answer, $"{what} was not answered within {patience.TotalSeconds} s");
        return await answer;
    }
}
