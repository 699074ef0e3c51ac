using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.Postgres.Embedded;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>
/// A replica started while its database is away does not exit (an orchestrator would restart it in a loop): it starts
/// alive and unready, answers 503, logs the outage once, and migrates and serves once the database is there.
/// </summary>
public sealed class Starting_without_the_database
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_replica_starts_unready_and_migrates_and_serves_when_the_database_comes()
    {
        var root = Path.Combine(Path.GetTempPath(), "portal-late-pg-" + Guid.NewGuid().ToString("N")[..8]);
        await using var postgres = await EmbeddedPostgres.StartAsync(root, temporary: true, _ => { }, cancellationToken: Cancellation);
        await postgres.StopServerAsync();
        var logs = new CapturedLogs();
        await using var app = new PortalAppFactory(postgres.ConnectionString + ";Timeout=2", new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        }, services: services => services.AddSingleton<ILoggerProvider>(logs));
        app.UseKestrel(0);

        app.StartServer(); // threw before: the start-up migration ended the host
        using var client = app.CreateClient();

        using (var alive = await client.GetAsync("/healthz", Cancellation))
        using (var ready = await client.GetAsync("/readyz", Cancellation))
        using (var read = await client.GetAsync("/api/catalog/entities?limit=1", Cancellation))
        {
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, read.StatusCode);
        }

        var migrationErrors = logs.Of("Portal.Postgres.Embedded.PortalDatabase", LogLevel.Error);
        Assert.True(migrationErrors.Count == 1, $"expected the outage logged once: {string.Join(" | ", migrationErrors)}");
        Assert.Contains("Migrating the portal database at start-up failed", migrationErrors[0].Message, StringComparison.Ordinal);

        await postgres.StartAgainAsync(Cancellation);

        var clock = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            await Task.Delay(200, Cancellation);
            using var ready = await client.GetAsync("/readyz", Cancellation);
            status = ready.StatusCode;
        }
        while (status != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, status);
        using var served = await client.GetAsync("/api/catalog/entities?limit=1", Cancellation);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains(logs.Lines, line => line.Message.Contains("The portal database is migrated", StringComparison.Ordinal));
    }
}
