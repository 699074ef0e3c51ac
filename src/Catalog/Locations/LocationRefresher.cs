using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal.Postgres.Failures;

namespace Portal.Catalog.Locations;

/// <summary>
/// Refreshes every registered location every <c>Catalog:Locations:RefreshInterval</c> (zero: never). A round that
/// finds the database away (or failing in any way but one location's own) is logged once per outage and tried again
/// with backoff until it passes; the refresh, and the process, outlive any outage. Nothing but the host's stop ends
/// the loop: an exception let out of it would stop the whole host (the default
/// <c>HostOptions.BackgroundServiceExceptionBehavior</c>, kept, so that a real bug is not left running half-dead).
/// </summary>
internal sealed class LocationRefresher(LocationService locations, IOptions<CatalogOptions> options, ILogger<LocationRefresher> logger)
    : BackgroundService
{
    /// <summary>The first wait after a failed round; it doubles per failure, up to <see cref="MaxRetryDelay"/> or the interval.</summary>
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest wait between retries of a failed round (shorter when the refresh interval is).</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Locations.RefreshInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        var outage = new OutageLog(logger, "Refreshing the catalog's locations");
        var backoff = new Backoff(FirstRetryDelay, interval < MaxRetryDelay ? interval : MaxRetryDelay);
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // Ticks that pass meanwhile are not owed: the round that finally passes is the refresh they asked for.
                while (!await TryRefreshAllAsync(outage, stoppingToken))
                {
                    await Task.Delay(backoff.Next(), stoppingToken);
                }

                outage.Succeeded();
                backoff.Reset();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    /// <summary>One round over every location; false when it has to be tried again (the database failed it).</summary>
    private async Task<bool> TryRefreshAllAsync(OutageLog outage, CancellationToken stoppingToken)
    {
        IReadOnlyList<LocationInfo> all;
        try
        {
            all = await locations.ListAsync(stoppingToken);
        }
#pragma warning disable CA1031 // Without the list there is no round; whatever failed it is logged (once per outage) and retried.
        catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            outage.Failed(exception);
            return false;
        }

        foreach (var location in all)
        {
            try
            {
                await locations.RefreshAsync(location.Id, stoppingToken);
            }
            catch (Exception exception) when (DatabaseFailure.IsTransient(exception) && !stoppingToken.IsCancellationRequested)
            {
                // The database, not the location: the rest of the round would fail the same way.
                outage.Failed(exception);
                return false;
            }
#pragma warning disable CA1031 // One location's failure must not stop the others' refresh; it is logged and retried next tick.
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                logger.LogWarning(exception, "Refreshing location {Type}:{Target} failed", location.Type, location.Target);
            }
        }

        return true;
    }
}
