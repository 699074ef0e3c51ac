using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Catalog.Entities;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Gateway.Tests.Backstage.Catalog;
using Portal.Gateway.Tests.GraphQL.Subscriptions;
using Portal.Postgres.Embedded;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>
/// The gateway on a PostgreSQL of the test's own, which the test stops and starts again, with its background work on
/// short clocks: the locations refreshed every second, the outbox looked at every 100 ms and retried at most every
/// half second, the inboxes pruned every 200 ms.
/// </summary>
public sealed class OwnDatabaseApp : IAsyncLifetime
{
    public EmbeddedPostgres Postgres { get; private set; } = null!;

    public PortalAppFactory Factory { get; private set; } = null!;

    public CapturedLogs Logs { get; } = new();

    public T Get<T>()
        where T : notnull => Factory.Services.GetRequiredService<T>();

    public async ValueTask InitializeAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), "portal-outage-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Postgres = await EmbeddedPostgres.StartAsync(root, temporary: true, _ => { }, cancellationToken: TestContext.Current.CancellationToken);
        Factory = new PortalAppFactory(Postgres.ConnectionString, new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:01",
            ["Bus:Outbox:PollInterval"] = "00:00:00.100",
            ["Bus:Outbox:MaxRetryDelay"] = "00:00:00.500",
            ["Bus:Inbox:PruneInterval"] = "00:00:00.200",
        }, services: services => services.AddSingleton<ILoggerProvider>(Logs));
        Factory.UseKestrel(0);
        Factory.StartServer();
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

/// <summary>
/// The database goes away under the running gateway and comes back: the process stays up, the location refresher, the
/// outbox relay and the inbox pruner pick up where they were, and each logs the outage once, not once per attempt.
/// </summary>
public sealed class Surviving_a_database_outage(OwnDatabaseApp app) : IClassFixture<OwnDatabaseApp>
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_refresher_and_the_relay_resume_and_each_logs_the_outage_once()
    {
        using var folder = new DescriptorFolder();
        var file = folder.Write("catalog-info.yaml", DescriptorFolder.Component("outage-a", "team-before"));
        await app.Get<LocationService>().RegisterAsync("file", file, Cancellation);

        // A change whose outbox row is committed but cannot be relayed yet: a transaction older than it is still open,
        // and the relay only reads rows of transactions older than every running one. The outage ends that transaction.
        await using (var older = await OpenAsync())
        {
            await HoldATransactionAsync(older);
            await app.Get<EntityService>().UpsertAsync((JsonObject)JsonNode.Parse("""
                {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "written-before"}, "spec": {"type": "team", "children": []}}
                """)!, null, "test", Cancellation);
            var written = await LastOutboxRowAsync();
            await Task.Delay(300, Cancellation);
            Assert.Null(await SentAtAsync(written));

            await app.Postgres.StopServerAsync();
            folder.Write("catalog-info.yaml", DescriptorFolder.Component("outage-a", "team-during"));
            await Task.Delay(Outage, Cancellation);

            var lifetime = app.Get<IHostApplicationLifetime>();
            Assert.False(lifetime.ApplicationStopping.IsCancellationRequested, "the gateway began to stop while the database was away");
            using var client = app.Factory.CreateClient();
            using var alive = await client.GetAsync("/healthz", Cancellation);
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);

            await app.Postgres.StartAgainAsync(Cancellation);

            await EventuallyAsync(async () => (await app.Get<EntityQueryService>().GetAsync("component:default/outage-a", Cancellation))?.OwnerRef == "group:default/team-during",
                "the change made during the outage was not ingested");
            await EventuallyAsync(async () => await SentAtAsync(written) is not null, "the outbox row written before the outage was not relayed");
        }

        using var api = new CatalogApiClient(app.Factory.CreateClient());
        var registered = await api.PostAsync("/locations", $$"""{"type": "file", "target": "{{folder.Write("after.yaml", DescriptorFolder.Component("outage-after", "team-a")).Replace("\\", "\\\\", StringComparison.Ordinal)}}"}""");
        Assert.Equal(HttpStatusCode.Created, registered.Status);

        AssertOneOutage("Portal.Catalog.Locations.LocationRefresher");
        AssertOneOutage("Portal.Postgres.Outbox.OutboxRelay");
        AssertOneOutage("Portal.Postgres.Inbox");
        Assert.Empty(app.Logs.Of("Microsoft.Extensions.Hosting", LogLevel.Error));
    }

    private void AssertOneOutage(string category)
    {
        var errors = app.Logs.Of(category, LogLevel.Error);
        Assert.True(errors.Count == 1, $"{category} logged {errors.Count} errors for one outage: {string.Join(" | ", errors)}");
        Assert.NotNull(errors[0].Exception);
        var recovered = app.Logs.Of(category, LogLevel.Information).Where(line => line.Message.Contains("database reachable again after", StringComparison.Ordinal)).ToList();
        Assert.True(recovered.Count == 1, $"{category} logged {recovered.Count} recoveries: {string.Join(" | ", app.Logs.Of(category, LogLevel.Information))}");
    }

    /// <summary>Begins a transaction that has a transaction id (it holds back the relay's horizon) and leaves it open.</summary>
    private static async Task HoldATransactionAsync(NpgsqlConnection connection)
    {
        await using var begin = new NpgsqlCommand("BEGIN; SELECT pg_current_xact_id()", connection);
        await begin.ExecuteScalarAsync(Cancellation);
    }

    private async Task<long> LastOutboxRowAsync()
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT max(position) FROM catalog.outbox", connection);
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    private async Task<DateTimeOffset?> SentAtAsync(long position)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT sent_at FROM catalog.outbox WHERE position = @position", connection);
        command.Parameters.AddWithValue("position", position);
        return await command.ExecuteScalarAsync(Cancellation) is DateTime sent ? new DateTimeOffset(sent, TimeSpan.Zero) : null;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(app.Postgres.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync(Cancellation);
        return connection;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> done, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await done())
                {
                    return;
                }
            }
            catch (NpgsqlException)
            {
                // The database is still starting up.
            }

            Assert.True(clock.Elapsed < Patience, $"{failure} within {Patience.TotalSeconds} s of the database coming back");
            await Task.Delay(100, Cancellation);
        }
    }
}
