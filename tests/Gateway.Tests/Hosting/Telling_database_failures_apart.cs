using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Catalog.Entities;
using Portal.Gateway.Failures;
using Portal.Gateway.Tests.Backstage.Catalog;
using Portal.Gateway.Tests.GraphQL;
using Portal.Postgres.Failures;
using Portal.Testing;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>The gateway whose database stops any statement after half a second; requests may take ten.</summary>
public sealed class HalfSecondStatementsApp : FaultApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
    [
        new("Database:StatementTimeout", "00:00:00.500"),
        new("BackstageApi:RequestTimeout", "00:00:10"),
        new("Graph:ExecutionTimeout", "00:00:10"),
    ];
}

/// <summary>The gateway with a pool of two connections that a request waits one second for.</summary>
public sealed class TwoConnectionsApp : FaultApp
{
    protected override string GatewayConnectionString(string connectionString) => $"{connectionString};Maximum Pool Size=2;Timeout=1";
}

/// <summary>The gateway whose outbox relay stays off the pool (one look a minute), so that only the test's requests meet its connections.</summary>
public sealed class QuietPoolApp : FaultApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [new("Bus:Outbox:PollInterval", "00:01:00")];
}

/// <summary>A statement the database stopped at its statement timeout is 503, says so, and says when to try again.</summary>
public sealed class Answering_a_statement_timeout(HalfSecondStatementsApp app) : IClassFixture<HalfSecondStatementsApp>
{
    [Fact]
    public async Task Over_REST_it_is_503_naming_the_statement_timeout_with_Retry_After()
    {
        await using var locked = await TableLock.TakeAsync(app.ConnectionString, "catalog.entities");
        using var api = new CatalogApiClient(app.CreateClient());

        var response = await Bounding_request_time.WithinAsync(api.GetAsync("/entities/by-query?filter=kind=component"), TimeSpan.FromSeconds(8), "the REST request");

        CatalogApiClient.AssertError(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "statement timeout (Database:StatementTimeout)");
        Assert.Equal("5", response.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task Over_GraphQL_it_is_SERVICE_UNAVAILABLE_naming_the_statement_timeout_with_retryAfter()
    {
        await using var locked = await TableLock.TakeAsync(app.ConnectionString, "catalog.entities");
        using var graph = new GraphClient(app.CreateClient());

        var response = await Bounding_request_time.WithinAsync(graph.PostAsync("""{ entities(first: 1) { totalCount } }"""), TimeSpan.FromSeconds(8), "the GraphQL request");

        var error = response.Error("SERVICE_UNAVAILABLE");
        Assert.Contains("statement timeout", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal(5, (int?)error["extensions"]!["retryAfter"]);
    }
}

/// <summary>Every connection of the pool in use: 503, saying the catalog is busy (not that the database is away).</summary>
public sealed class Answering_an_exhausted_pool(TwoConnectionsApp app) : IClassFixture<TwoConnectionsApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Over_REST_it_is_503_saying_the_catalog_is_busy_with_Retry_After()
    {
        await using var held = await HoldThePoolAsync();
        using var api = new CatalogApiClient(app.CreateClient());

        var response = await api.GetAsync("/entities/by-query?filter=kind=component");

        CatalogApiClient.AssertError(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "The catalog is busy: every database connection");
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task Over_GraphQL_it_is_SERVICE_UNAVAILABLE_saying_the_catalog_is_busy()
    {
        await using var held = await HoldThePoolAsync();
        using var graph = new GraphClient(app.CreateClient());

        var response = await graph.PostAsync("""{ entities(first: 1) { totalCount } }""");

        var error = response.Error("SERVICE_UNAVAILABLE");
        Assert.Contains("The catalog is busy", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal(1, (int?)error["extensions"]!["retryAfter"]);
        // No data at all, for want of the database: the server's 503, saying when to try again, as REST does.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.Status);
        Assert.Equal("1", response.RetryAfter);
    }

    [Fact]
    public async Task Over_GraphQL_with_the_legacy_media_type_it_is_200_still_with_Retry_After()
    {
        await using var held = await HoldThePoolAsync();
        using var http = app.CreateClient();

        using var response = await http.PostAsync("/graphql",
            new StringContent("""{"query":"{ entities(first: 1) { totalCount } }"}""", System.Text.Encoding.UTF8, "application/json"), Cancellation);

        // GraphQL over HTTP: under application/json every well-formed request answers 200; the header still says when.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        Assert.Contains("SERVICE_UNAVAILABLE", await response.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_GraphQL_a_partial_answer_is_200_with_Retry_After()
    {
        await using var held = await HoldThePoolAsync();
        using var graph = new GraphClient(app.CreateClient());

        // __typename needs no database and entity may be null: the answer has data, so it is no 503, but it still says
        // when to try the rest again. (entities is non-null: its failure nulls the whole data, the case above.)
        var response = await graph.PostAsync("""{ __typename entity(ref: "component:default/a") { id } }""");

        response.Error("SERVICE_UNAVAILABLE");
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("1", response.RetryAfter);
    }

    private async Task<HeldConnections> HoldThePoolAsync()
    {
        var dataSource = app.Get<NpgsqlDataSource>();
        return new HeldConnections([await dataSource.OpenConnectionAsync(Cancellation), await dataSource.OpenConnectionAsync(Cancellation)]);
    }

    private sealed class HeldConnections(IReadOnlyList<NpgsqlConnection> connections) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// A database restart as the gateway meets it: every connection of its pool ended by the server (57P01, here with
/// <c>pg_terminate_backend</c>). A read is run once more and succeeds; a write is answered 503 and not run again.
/// </summary>
public sealed class Meeting_a_database_restart(QuietPoolApp app) : IClassFixture<QuietPoolApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_REST_read_is_run_once_more_and_succeeds()
    {
        await UpsertComponentAsync("restart-rest");
        using var api = new CatalogApiClient(app.CreateClient());
        await TerminateTheGatewaysSessionsAsync();

        var response = await api.GetAsync("/entities/by-name/component/default/restart-rest");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("restart-rest", ApiResponse.Name(response.Json));
        Assert.Contains(app.Logs.Of("Portal.Gateway.Backstage", LogLevel.Information), line => line.Message.Contains("running it once more", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_REST_read_with_a_body_is_run_once_more_with_the_same_body()
    {
        await UpsertComponentAsync("restart-body");
        using var api = new CatalogApiClient(app.CreateClient());
        await TerminateTheGatewaysSessionsAsync();

        var response = await api.PostAsync("/entities/by-refs", """{"entityRefs": ["component:default/restart-body"]}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(["restart-body"], response.ItemNames());
    }

    [Fact]
    public async Task A_GraphQL_query_is_run_once_more_and_succeeds()
    {
        await UpsertComponentAsync("restart-graph");
        using var graph = new GraphClient(app.CreateClient());
        await TerminateTheGatewaysSessionsAsync();

        var response = await graph.PostAsync("""{ entity(ref: "component:default/restart-graph") { ref } }""");

        Assert.Equal("component:default/restart-graph", (string?)response.Ok()["entity"]!["ref"]);
        Assert.Contains(app.Logs.Of("Portal.Gateway.GraphQL", LogLevel.Information), line => line.Message.Contains("running it once more", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_REST_write_is_503_saying_the_connection_was_lost_and_is_not_run_again()
    {
        var uid = await UpsertComponentAsync("restart-delete");
        using var api = new CatalogApiClient(app.CreateClient());
        await TerminateTheGatewaysSessionsAsync();

        var response = await api.DeleteAsync($"/entities/by-uid/{uid}");

        CatalogApiClient.AssertError(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "connection to the catalog database was lost");
        Assert.Equal("1", response.Headers.RetryAfter?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/entities/by-name/component/default/restart-delete")).Status);
    }

    [Fact]
    public async Task A_GraphQL_mutation_is_SERVICE_UNAVAILABLE_and_is_not_run_again()
    {
        await UpsertComponentAsync("restart-mutation");
        using var graph = new GraphClient(app.CreateClient());
        await TerminateTheGatewaysSessionsAsync();

        var response = await graph.PostAsync("""mutation { deleteEntity(ref: "component:default/restart-mutation") }""");

        var error = response.Error("SERVICE_UNAVAILABLE");
        Assert.Contains("connection to the catalog database was lost", (string?)error["message"], StringComparison.Ordinal);
        Assert.NotNull((await graph.PostAsync("""{ entity(ref: "component:default/restart-mutation") { ref } }""")).Ok()["entity"]);
    }

    private async Task<Guid> UpsertComponentAsync(string name)
    {
        // A write answered 503 before this test started an outage of the request log, whose probe reads from the pool
        // until the database answers: it could meet the broken connections before the request under test does.
        var outages = app.Factory.Services.GetService(typeof(RequestOutageLog)) as RequestOutageLog;
        for (var waited = 0; outages?.IsOpen == true && waited < 100; waited++)
        {
            await Task.Delay(50, Cancellation);
        }

        var entityRef = await app.Get<EntityService>().UpsertAsync((JsonObject)JsonNode.Parse($$$"""
            {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "{{{name}}}"},
             "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}}
            """)!, null, "test", Cancellation);
        var entity = await app.Get<Portal.Catalog.Queries.EntityQueryService>().GetAsync(entityRef, Cancellation);
        return entity!.Uid;
    }

    /// <summary>What a restart does to the gateway's pool: the server ends every session the gateway has open.</summary>
    private async Task TerminateTheGatewaysSessionsAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(app.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var terminate = new NpgsqlCommand("""
            SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            """, connection);
        Assert.True((long)(await terminate.ExecuteScalarAsync(Cancellation))! > 0, "the gateway had no session to end");
    }
}

/// <summary>
/// Input PostgreSQL itself refuses is the client's to fix: 400 (VALIDATION_FAILED), naming what is wrong, never
/// "database not reachable". The exceptions are PostgreSQL's (and Npgsql's) own, from the test's database.
/// </summary>
public sealed class Answering_input_PostgreSQL_refuses(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task More_parameters_than_a_statement_takes_is_invalid_input_saying_to_ask_for_fewer()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT " + string.Join(", ", Enumerable.Range(1, 70_000).Select(i => $"${i}")), connection);
        command.Parameters.AddRange(Enumerable.Range(1, 70_000).Select(i => new NpgsqlParameter { Value = i }).ToArray());

        var failure = await FailureOfAsync(() => command.ExecuteScalarAsync(Cancellation));

        Assert.Equal(CatalogFailureKind.InvalidInput, failure.Kind);
        Assert.Contains("more values than one database query can take (65,535 at most)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_the_database_cannot_hold_is_invalid_input_quoting_the_server()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT $1::text", connection) { Parameters = { new NpgsqlParameter { Value = "a\0b" } } };

        var failure = await FailureOfAsync(() => command.ExecuteScalarAsync(Cancellation));

        Assert.Equal(CatalogFailureKind.InvalidInput, failure.Kind);
        Assert.Contains("text the catalog cannot store or match (invalid byte sequence for encoding \"UTF8\": 0x00)", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_statement_past_a_limit_of_PostgreSQL_is_invalid_input_naming_the_limit()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT array_fill(1, ARRAY[200000000])", connection);

        var failure = await FailureOfAsync(() => command.ExecuteScalarAsync(Cancellation));

        Assert.Equal(CatalogFailureKind.InvalidInput, failure.Kind);
        Assert.Contains("array size exceeds the maximum allowed", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_statement_cancelled_by_an_administrator_is_not_taken_for_a_statement_timeout()
    {
        await using var connection = await OpenAsync();
        await using var pid = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var backend = (int)(await pid.ExecuteScalarAsync(Cancellation))!;
        await using var sleep = new NpgsqlCommand("SELECT pg_sleep(30)", connection);
        var sleeping = FailureOfAsync(() => sleep.ExecuteScalarAsync(Cancellation));
        await using var admin = await OpenAsync();
        await using var cancel = new NpgsqlCommand(
            "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE pid = @pid AND state = 'active' AND query LIKE '%pg_sleep%'", admin);
        cancel.Parameters.AddWithValue("pid", backend);
        for (var tries = 0; await cancel.ExecuteScalarAsync(Cancellation) is null && tries < 250; tries++)
        {
            await Task.Delay(20, Cancellation);
        }

        var failure = await sleeping;

        Assert.Equal(CatalogFailureKind.Unavailable, failure.Kind);
        Assert.Equal("The catalog database cancelled the query; try again shortly.", failure.Message);
    }

    [Fact]
    public async Task A_server_out_of_connections_is_unavailable_saying_so_not_unreachable()
    {
        // A role allowed no connections gets the server's 53300 (too many connections), as a full server answers.
        var role = "full_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = await OpenAsync())
        await using (var create = new NpgsqlCommand($"CREATE ROLE {role} LOGIN PASSWORD 'unused' CONNECTION LIMIT 0", admin))
        {
            await create.ExecuteNonQueryAsync(Cancellation);
        }

        await using var full = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString)
        {
            Pooling = false,
            Username = role,
            Password = "unused",
        }.ConnectionString);

        var failure = await FailureOfAsync(() => full.OpenAsync(Cancellation));

        Assert.Equal(CatalogFailureKind.Unavailable, failure.Kind);
        Assert.Equal(Portal.Postgres.Failures.DatabaseFailureKind.OutOfResources, failure.Database);
        Assert.Contains("out of connections, memory or disk", failure.Message, StringComparison.Ordinal);
        Assert.NotNull(failure.RetryAfterSeconds);
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Cancellation);
        return connection;
    }

    private static async Task<CatalogFailure> FailureOfAsync(Func<Task> act)
    {
        var exception = await Assert.ThrowsAnyAsync<Exception>(act);
        return CatalogFailure.Of(exception) ?? throw new Xunit.Sdk.XunitException($"not in the failure table: {exception}");
    }
}

/// <summary>
/// Input that makes more database parameters than PostgreSQL takes is 400 over REST, not "database not reachable"
/// (a value list whose each value is one containment test).
/// </summary>
public sealed class Refusing_input_past_the_databases_limits(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task A_value_list_too_long_for_one_query_is_a_400_naming_the_values()
    {
        using var api = new CatalogApiClient(app.CreateClient());
        var values = string.Join(",", Enumerable.Range(0, 70_000).Select(i => $"\"t{i}\""));

        var response = await api.PostAsync("/entities/by-query", """{"query": {"metadata.tags": {"$in": [""" + values + "]}}}");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("InputError", response.Json.GetProperty("error").GetProperty("name").GetString());
        Assert.Contains("value", response.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
    }
}
