using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Postgres.Failures;
using Portal.Postgres.Migrations;

namespace Portal.Postgres.Embedded;

/// <summary>
/// Which PostgreSQL the portal uses: the one named by <c>ConnectionStrings:Portal</c> (external), or else a private
/// cluster started from the machine's binaries (embedded), which is stopped again when the host stops.
/// Registered as the first hosted service, so the database is up before anything else starts and down after everything stopped.
/// An external database that cannot be reached at start-up does not stop the replica: it starts unready (its readiness
/// probe says the migrations are not applied) and migrates in the background, with backoff, once the database answers.
/// </summary>
public sealed class PortalDatabase(
    IConfiguration configuration,
    IOptions<DatabaseOptions> options,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    ILogger<PortalDatabase> logger) : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task _migratingLater = Task.CompletedTask;
    private string? _connectionString;
    private int _stopLogged;

    /// <summary>The embedded cluster, when the portal runs on one; null against an external database.</summary>
    public EmbeddedPostgres? Embedded { get; private set; }

    /// <summary>The connection string in use. Only valid after <see cref="EnsureStartedAsync"/>.</summary>
    public string ConnectionString =>
        _connectionString ?? throw new InvalidOperationException("The portal database has not been started yet.");

    public async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        await _startLock.WaitAsync(cancellationToken);
        try
        {
            if (_connectionString is not null)
            {
                return;
            }

            var configured = configuration.GetConnectionString("Portal");
            if (!string.IsNullOrWhiteSpace(configured))
            {
                _connectionString = configured;
                LogDatabase("external");
                return;
            }

            Embedded = await EmbeddedPostgres.StartAsync(
                options.Value.DataDirectory,
                temporary: false,
                message => logger.LogInformation("{Message}", message),
                options.Value.BinDirectory,
                cancellationToken: cancellationToken);
            _connectionString = Embedded.ConnectionString;
            LogDatabase("embedded");
        }
        finally
        {
            _startLock.Release();
        }
    }

    async Task IHostedService.StartAsync(CancellationToken cancellationToken)
    {
        await EnsureStartedAsync(cancellationToken);
        if (!options.Value.MigrateOnStartup)
        {
            return;
        }

        var migrator = services.GetRequiredService<DatabaseMigrator>();
        try
        {
            await migrator.MigrateAsync(cancellationToken);
        }
        catch (Exception exception) when (Embedded is null && DatabaseFailure.IsTransient(exception) && !cancellationToken.IsCancellationRequested)
        {
            // The database is away, not wrong: a replica that exits for it restarts in a loop and is no more use.
            var outage = new OutageLog(logger, "Migrating the portal database at start-up");
            outage.Failed(exception);
            _migratingLater = Task.Run(() => MigrateWhenReachableAsync(migrator, outage), CancellationToken.None);
        }
    }

    /// <summary>Retries the start-up migration until it is done; a failure that is not the database being away stops the host.</summary>
    private async Task MigrateWhenReachableAsync(DatabaseMigrator migrator, OutageLog outage)
    {
        var backoff = new Backoff(FirstRetry, MaxRetry);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(backoff.Next(), _stopping.Token);
                await migrator.MigrateAsync(_stopping.Token);
                outage.Succeeded();
                logger.LogInformation("The portal database is migrated; this replica is ready");
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (DatabaseFailure.IsTransient(exception))
            {
                outage.Failed(exception);
            }
#pragma warning disable CA1031 // Not swallowed: a migration that fails for itself ends the host, as it would have at start-up.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                logger.LogCritical(exception, "Migrating the portal database failed; the host stops");
                lifetime.StopApplication();
                return;
            }
        }
    }

    async Task IHostedService.StopAsync(CancellationToken cancellationToken)
    {
        await StopMigratingAsync();
        await StopEmbeddedAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopMigratingAsync();
        await StopEmbeddedAsync();
    }

    private async Task StopMigratingAsync()
    {
        // Stop, then dispose, may both come here: the source is cancelled once and never disposed (it holds no timer).
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
        }

        await _migratingLater;
    }

    private async Task StopEmbeddedAsync()
    {
        if (Embedded is { } embedded)
        {
            if (Interlocked.Exchange(ref _stopLogged, 1) == 0)
            {
                logger.LogInformation("Stopping the embedded PostgreSQL in {DataDirectory}", embedded.DataDirectory);
            }

            await embedded.StopAsync();
        }
    }

    private void LogDatabase(string mode)
    {
        var parts = new NpgsqlConnectionStringBuilder(_connectionString);
        logger.LogInformation(
            "Database mode {Mode}: PostgreSQL at {Host}:{Port}, database {Database}, user {User}",
            mode, parts.Host, parts.Port, parts.Database, parts.Username);
    }
}
