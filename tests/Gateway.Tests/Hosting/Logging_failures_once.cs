using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Portal.Gateway.Hosting.Authorization;
using Portal.Gateway.Tests.Backstage.Catalog;
using Portal.Gateway.Tests.GraphQL;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>The gateway against a PostgreSQL address where nothing listens, its log captured.</summary>
public sealed class NoDatabaseApp : FaultApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [new("Database:MigrateOnStartup", "false")];

    protected override string GatewayConnectionString(string connectionString)
    {
        // A port that was free a moment ago: connecting to it is refused at once.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"Host=127.0.0.1;Port={port};Database=portal;Username=portal;Password=unused;Timeout=5";
    }
}

/// <summary>The gateway with an authorization rule that fails (a plugin's bug) for reading locations.</summary>
public sealed class FailingRuleApp : FaultApp
{
    protected override void ConfigureServices(IServiceCollection services) => services.Replace(ServiceDescriptor.Singleton<IPortalAuthorizer, FailingAuthorizer>());

    private sealed class FailingAuthorizer : IPortalAuthorizer
    {
        public string? Deny(AccessRequest request) => request.Resource == CatalogOperations.LocationsRead
            ? throw new InvalidOperationException("The rule for reading locations is broken.")
            : null;
    }
}

/// <summary>
/// While the database is away, every failed request is answered, but the log holds one error for the outage, not one
/// stack trace per request (one replica logged 17,000 in 14 s).
/// </summary>
public sealed class Logging_an_outage_once(NoDatabaseApp app) : IClassFixture<NoDatabaseApp>
{
    [Fact]
    public async Task Twenty_failed_requests_on_both_surfaces_log_one_error()
    {
        using var api = new CatalogApiClient(app.CreateClient());
        using var graph = new GraphClient(app.CreateClient());

        for (var i = 0; i < 10; i++)
        {
            CatalogApiClient.AssertError(await api.GetAsync($"/entities/by-query?filter=kind=component&limit={i + 1}"),
                HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "not reachable right now");
            (await graph.PostAsync($$"""{ entities(first: {{i + 1}}) { totalCount } }""")).Error("SERVICE_UNAVAILABLE");
        }

        // The background loops (outbox relay, inbox pruning) log the outage once each too; these are the requests'.
        var errors = app.Logs.Lines.Where(line => line.Level >= LogLevel.Error
            && !line.Category.StartsWith("Portal.Postgres.Outbox", StringComparison.Ordinal) && !line.Category.StartsWith("Portal.Postgres.Inbox", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, $"{errors.Count} errors logged for one outage: {string.Join(" | ", errors)}");
        Assert.Equal("Portal.Postgres.Failures.RequestOutageLog", errors[0].Category);
        Assert.Contains("the database is not reachable", errors[0].Message, StringComparison.Ordinal);
        Assert.NotNull(errors[0].Exception);
    }
}

/// <summary>An exception nobody expected is a 500 with a body on REST and an INTERNAL_ERROR on GraphQL, logged once with its stack.</summary>
public sealed class Logging_an_unexpected_failure_once(FailingRuleApp app) : IClassFixture<FailingRuleApp>
{
    [Fact]
    public async Task Over_REST_it_is_a_500_with_Backstages_body_logged_once()
    {
        using var api = new CatalogApiClient(app.CreateClient());
        var before = Errors().Count;

        var response = await api.GetAsync("/locations");

        CatalogApiClient.AssertError(response, HttpStatusCode.InternalServerError, "Error", "it has been logged");
        var logged = Errors().Skip(before).ToList();
        Assert.True(logged.Count == 1, $"{logged.Count} errors logged for one failure: {string.Join(" | ", logged)}");
        Assert.Equal("The rule for reading locations is broken.", logged[0].Exception?.Message);
    }

    [Fact]
    public async Task Over_GraphQL_it_is_an_INTERNAL_ERROR_logged_once()
    {
        using var graph = new GraphClient(app.CreateClient());
        var before = Errors().Count;

        var response = await graph.PostAsync("""{ locations { id } }""");

        Assert.Contains("it has been logged", (string?)response.Error("INTERNAL_ERROR")["message"], StringComparison.Ordinal);
        var logged = Errors().Skip(before).ToList();
        Assert.True(logged.Count == 1, $"{logged.Count} errors logged for one failure: {string.Join(" | ", logged)}");
        Assert.Equal("The rule for reading locations is broken.", logged[0].Exception?.Message);
    }

    private List<LogLine> Errors() => [.. app.Logs.Lines.Where(line => line.Level >= LogLevel.Error)];
}

/// <summary>The gateway as deployed (Production): no developer exception page stands between a failure and its answer.</summary>
public sealed class ProductionApp : FaultApp
{
    protected override string Environment => "Production";
}

/// <summary>
/// No answer is a 500 with an empty body: an exception that escapes a surface's own handling (here the GraphQL
/// request reader meeting a lone surrogate in the variables) is answered in the surface's error shape and logged once.
/// </summary>
public sealed class Answering_every_failure_with_a_body(ProductionApp app) : IClassFixture<ProductionApp>
{
    [Fact]
    public async Task A_GraphQL_request_the_gateway_fails_on_gets_a_GraphQL_error_body()
    {
        using var graph = new GraphClient(app.CreateClient());
        var before = app.Logs.Lines.Count(line => line.Level >= LogLevel.Error);

        var response = await graph.PostRawAsync("""{"query": "query($r: String!) { entity(ref: $r) { ref } }", "variables": {"r": "\ud800"}}""");

        var error = Assert.Single(response.Errors)!;
        Assert.False(string.IsNullOrEmpty((string?)error["message"]), response.Text);
        Assert.False(string.IsNullOrEmpty((string?)error["extensions"]?["code"]), response.Text);
        if (response.Status == HttpStatusCode.InternalServerError)
        {
            Assert.Equal("INTERNAL_ERROR", (string?)error["extensions"]!["code"]);
            Assert.Equal(before + 1, app.Logs.Lines.Count(line => line.Level >= LogLevel.Error));
        }
    }
}

/// <summary>
/// Sustained overload (the pool exhausted again and again, free for a moment in between) is one outage in the log: one
/// error, then one line when requests have stopped failing, not an error and a recovery line each time the database
/// answers the outage probe in a gap. The request-side recovery line is seen too.
/// </summary>
public sealed class Logging_an_overload_once(TwoConnectionsLoggedApp app) : IClassFixture<TwoConnectionsLoggedApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pool_exhaustion_with_gaps_logs_one_error_and_one_recovery_line()
    {
        using var api = new CatalogApiClient(app.CreateClient());
        var dataSource = app.Get<Npgsql.NpgsqlDataSource>();

        for (var round = 0; round < 3; round++)
        {
            await using (var first = await dataSource.OpenConnectionAsync(Cancellation))
            await using (var second = await dataSource.OpenConnectionAsync(Cancellation))
            {
                CatalogApiClient.AssertError(await api.GetAsync("/entities/by-query?filter=kind=component"),
                    HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "The catalog is busy");
            }

            // A gap: the pool is free, and the outage probe gets its answer (it looks within half a second).
            await Task.Delay(700, Cancellation);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!RecoveryLines().Any() && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(100, Cancellation);
        }

        var errors = app.Logs.Of("Portal.Postgres.Failures.RequestOutageLog", LogLevel.Error);
        Assert.True(errors.Count == 1, $"{errors.Count} errors logged for one overload: {string.Join(" | ", errors)}");
        var recovered = Assert.Single(RecoveryLines());
        Assert.Contains("after 3 failed attempts", recovered.Message, StringComparison.Ordinal);
    }

    private IEnumerable<LogLine> RecoveryLines() => app.Logs.Of("Portal.Postgres.Failures.RequestOutageLog", LogLevel.Information)
        .Where(line => line.Message.Contains("again after", StringComparison.Ordinal));
}

/// <summary>A pool of two connections that a request waits half a second for, with the log captured.</summary>
public sealed class TwoConnectionsLoggedApp : FaultApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [new("Bus:Outbox:PollInterval", "00:01:00")];

    protected override string GatewayConnectionString(string connectionString) => $"{connectionString};Maximum Pool Size=2;Timeout=1";
}
