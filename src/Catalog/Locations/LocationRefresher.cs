using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Portal.Catalog.Locations;

/// <summary>Refreshes every registered location every <c>Catalog:Locations:RefreshInterval</c> (zero: never).</summary>
internal sealed class LocationRefresher(LocationService locations, IOptions<CatalogOptions> options, ILogger<LocationRefresher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.Locations.RefreshInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            foreach (var location in await locations.ListAsync(stoppingToken))
            {
                try
                {
                    await locations.RefreshAsync(location.Id, stoppingToken);
                }
#pragma warning disable CA1031 // One location's failure must not stop the others' refresh; it is logged and retried next tick.
                catch (Exception exception) when (exception is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    logger.LogWarning(exception, "Refreshing location {Type}:{Target} failed", location.Type, location.Target);
                }
            }
        }
    }
}
