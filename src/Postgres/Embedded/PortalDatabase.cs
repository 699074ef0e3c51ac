using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Postgres.Migrations;

namespace Portal.Postgres.Embedded;

/// <summary>
/// Which PostgreSQL the portal uses: the one named by <c>ConnectionStrings:Portal</c> (external), or else a private
/// cluster started from the machine's binaries (embedded), which is stopped again when the host stops.
/// Registered as the first hosted service, so the database is up before anything else starts and down after everything stopped.
/// </summary>
public sealed class PortalDatabase(
    IConfiguration configuration,
    IOptions<DatabaseOptions> options,
    IServiceProvider services,
    ILogger<PortalDatabase> logger) : IHostedService, IAsyncDisposable
{
    private readonly SemaphoreSlim _startLock = new(1, 1);
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
        if (options.Value.MigrateOnStartup)
        {
            await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        }
    }

    async Task IHostedService.StopAsync(CancellationToken cancellationToken) => await StopEmbeddedAsync();

    public async ValueTask DisposeAsync() => await StopEmbeddedAsync();

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
