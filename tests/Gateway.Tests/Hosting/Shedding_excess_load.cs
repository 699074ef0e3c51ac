using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Portal.Testing;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>
/// A replica serves a bounded number of requests at once and queues a bounded number more, first come first served;
/// the rest are answered 503 at once, and health probes are never queued. Requests are held in the database by a lock
/// the test takes, so the replica is "busy" for exactly as long as the test says.
/// </summary>
public sealed class Shedding_excess_load
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private const string PageQuery = """{"query":"{ entities(first: 1) { totalCount } }"}""";

    [Fact]
    public async Task Past_the_limit_and_a_full_queue_requests_are_refused_503_with_retry_after_while_probes_answer()
    {
        var server = await PostgresServer.GetAsync();
        await using var app = new PortalAppFactory(await server.CreateDatabaseAsync("shedding"), new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Load:MaxConcurrentRequests"] = "1",
            ["Load:QueueLimit"] = "1",
            ["Load:QueueTimeout"] = "00:01:00",
            ["Load:RetryAfterSeconds"] = "3",
        });
        app.UseKestrel(0);
        app.StartServer();
        using var client = app.CreateClient();

        await using var lockHolder = await HoldTheEntitiesTableAsync(app.ConnectionString);
        var served = client.PostAsync("/graphql", Json(PageQuery), Cancellation);
        await WaitForBlockedQueriesAsync(app.ConnectionString, 1);
        var queued = client.PostAsync("/graphql", Json(PageQuery), Cancellation);
        await Task.Delay(200, Cancellation); // the queued request has reached the queue (it cannot reach the database)

        using var refusedGraph = await client.PostAsync("/graphql", Json(PageQuery), Cancellation);
        using var refusedRest = await client.GetAsync("/api/catalog/entities?limit=1", Cancellation);
        using var alive = await client.GetAsync("/healthz", Cancellation);
        using var ready = await client.GetAsync("/readyz", Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedGraph.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), refusedGraph.Headers.RetryAfter?.Delta);
        var graphError = (await refusedGraph.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("errors")[0];
        Assert.Equal("SERVICE_UNAVAILABLE", graphError.GetProperty("extensions").GetProperty("code").GetString());
        Assert.Contains("as many requests as it can", graphError.GetProperty("message").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedRest.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), refusedRest.Headers.RetryAfter?.Delta);
        var restError = (await refusedRest.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("error");
        Assert.Equal("ServiceUnavailableError", restError.GetProperty("name").GetString());

        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.False(served.IsCompleted || queued.IsCompleted, "the held and the queued request wait, they are not refused");

        await lockHolder.DisposeAsync();
        using var first = await served;
        using var second = await queued;
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task A_request_whose_turn_does_not_come_within_the_queue_timeout_is_refused_503()
    {
        var server = await PostgresServer.GetAsync();
        await using var app = new PortalAppFactory(await server.CreateDatabaseAsync("queuetimeout"), new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Load:MaxConcurrentRequests"] = "1",
            ["Load:QueueLimit"] = "10",
            ["Load:QueueTimeout"] = "00:00:00.200",
        });
        app.UseKestrel(0);
        app.StartServer();
        using var client = app.CreateClient();

        await using var lockHolder = await HoldTheEntitiesTableAsync(app.ConnectionString);
        var served = client.GetAsync("/api/catalog/entities?limit=1", Cancellation);
        await WaitForBlockedQueriesAsync(app.ConnectionString, 1);

        using var late = await client.GetAsync("/api/catalog/entities?limit=1", Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, late.StatusCode);
        Assert.NotNull(late.Headers.RetryAfter);
        await lockHolder.DisposeAsync();
        using var first = await served;
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    [Fact]
    public async Task Readiness_answers_while_every_pooled_connection_is_busy()
    {
        var server = await PostgresServer.GetAsync();
        await using var app = new PortalAppFactory(await server.CreateDatabaseAsync("busyready") + ";Maximum Pool Size=2;Timeout=30", new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        });
        app.UseKestrel(0);
        app.StartServer();
        using var client = app.CreateClient();
        using var before = await client.GetAsync("/readyz", Cancellation);
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await using var lockHolder = await HoldTheEntitiesTableAsync(app.ConnectionString);
        // Two requests take the pool's two connections, and wait.
        var busy = Task.WhenAll(client.PostAsync("/graphql", Json(PageQuery), Cancellation), client.PostAsync("/graphql", Json(PageQuery), Cancellation));
        await WaitForBlockedQueriesAsync(app.ConnectionString, 2);

        using var probeTimeout = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        probeTimeout.CancelAfter(TimeSpan.FromSeconds(10));
        using var ready = await client.GetAsync("/readyz", probeTimeout.Token);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.False(busy.IsCompleted, "the requests still hold the pool's connections");
        await lockHolder.DisposeAsync();
        foreach (var served in await busy)
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
            served.Dispose();
        }
    }

    [Fact]
    public async Task Bad_limits_fail_at_start_naming_the_setting()
    {
        var server = await PostgresServer.GetAsync();
        await using var app = new PortalAppFactory(await server.CreateDatabaseAsync("badlimits"), new Dictionary<string, string?>
        {
            ["Load:MaxConcurrentRequests"] = "0",
        });

        var refused = Assert.ThrowsAny<Exception>(() => app.Services);

        Assert.Contains("MaxConcurrentRequests", refused.ToString(), StringComparison.Ordinal);
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    /// <summary>A transaction holding an exclusive lock on the entities table: every read of it waits until it is disposed.</summary>
    private static async Task<NpgsqlConnection> HoldTheEntitiesTableAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("BEGIN; LOCK TABLE catalog.entities IN ACCESS EXCLUSIVE MODE", connection);
        await command.ExecuteNonQueryAsync(Cancellation);
        return connection;
    }

    private static async Task WaitForBlockedQueriesAsync(string connectionString, int count)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", connection);
            if ((long)(await command.ExecuteScalarAsync(Cancellation))! >= count)
            {
                return;
            }

            await Task.Delay(25, Cancellation);
        }

        Assert.Fail($"{count} queries never waited on the lock");
    }
}
