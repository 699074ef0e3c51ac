using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Postgres.Embedded;
using Portal.Postgres.Failures;

namespace Portal.Postgres.Health;

/// <summary>
/// A module's readiness: its migrations applied, and the database answering. Probes must answer while the replica is
/// busy (an orchestrator takes a probe that waits for a timeout for a dead replica and restarts it under load, which
/// is when it is needed most), so after the migrations have been seen applied once (a running replica's migrations
/// cannot become pending again) the check is a <c>SELECT 1</c> over a connection of its own (<see cref="ProbeConnection"/>),
/// never queued behind the requests in the shared pool. A failure is logged once per outage (<see cref="OutageLog"/>),
/// not once per probe, and answered as unhealthy with what failed.
/// </summary>
internal sealed class ModuleDatabaseCheck<TContext>(IServiceProvider services, ProbeConnection probe, ILogger<ModuleDatabaseCheck<TContext>> logger)
    : IHealthCheck
    where TContext : DbContext
{
    private readonly OutageLog _outage = new(logger, $"The readiness check of {typeof(TContext).Name}");
    private volatile bool _migrated;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            if (!_migrated)
            {
                await using var scope = services.CreateAsyncScope();
                var database = scope.ServiceProvider.GetRequiredService<TContext>().Database;
                if ((await database.GetPendingMigrationsAsync(cancellationToken)).Any())
                {
                    _outage.Succeeded();
                    return HealthCheckResult.Unhealthy("Migrations are pending.");
                }

                _migrated = true;
            }

            await probe.PingAsync(cancellationToken);
            _outage.Succeeded();
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _outage.Failed(exception);
            return HealthCheckResult.Unhealthy(DatabaseFailure.Classify(exception) is { } kind ? DatabaseFailure.Describe(kind) : "The database check failed.");
        }
    }
}

/// <summary>
/// The readiness probes' own connection to the portal's database (a pool of one, beside the shared pool), so that a
/// probe never waits behind the requests for a connection. Every module's check asks at once when /readyz is called,
/// and they all live in the one database, so the checks of one moment share one ping.
/// </summary>
internal sealed class ProbeConnection(PortalDatabase database) : IAsyncDisposable
{
    // From the configured connection string: the shared data source's own has lost its password.
    private readonly NpgsqlDataSource _probes = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString)
    {
        MaxPoolSize = 1,
        MinPoolSize = 0,
        Timeout = 5,
        CommandTimeout = 5,
    }.ConnectionString);

    private readonly Lock _lock = new();
    private Task? _ping;

    /// <summary>Waits for the ping in flight, or starts one; <paramref name="cancellationToken"/> ends this caller's wait only.</summary>
    public Task PingAsync(CancellationToken cancellationToken)
    {
        Task ping;
        lock (_lock)
        {
            ping = _ping is { IsCompleted: false } inFlight ? inFlight : _ping = PingOnceAsync();
        }

        return ping.WaitAsync(cancellationToken);
    }

    private async Task PingOnceAsync()
    {
        await using var command = _probes.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync();
    }

    public ValueTask DisposeAsync() => _probes.DisposeAsync();
}
