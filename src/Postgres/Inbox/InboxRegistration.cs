using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Postgres.Failures;

namespace Portal.Postgres.Inbox;

/// <summary>The inboxes, bound from <c>Bus:Inbox</c>.</summary>
public sealed class InboxOptions
{
    public const string Section = "Bus:Inbox";

    /// <summary>
    /// How long a claim is kept. A repeat of a message arrives within seconds (a relay's retry, a broker's
    /// redelivery), so a week is far more than enough, and keeps the table small.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the claims past their retention are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "7.00:00:00")]
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);
}

public static class InboxRegistration
{
    /// <summary>A module registers its inbox: its claims are pruned after <see cref="InboxOptions.Retention"/>.</summary>
    public static IServiceCollection AddInbox(this IServiceCollection services, InboxTable table)
    {
        services.AddOptions<InboxOptions>()
            .BindConfiguration(InboxOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(table);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, InboxPruner>());
        return services;
    }

    /// <summary>
    /// Prunes every registered inbox once an interval (an hour). A failure (the database away) is logged once per outage
    /// and tried again with backoff, from a tenth of the interval (at most a second) up to the interval, until it passes.
    /// </summary>
    private sealed class InboxPruner(
        IEnumerable<InboxTable> tables, NpgsqlDataSource dataSource, IOptions<InboxOptions> options, ILogger<InboxPruner> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var interval = options.Value.PruneInterval;
            var outage = new OutageLog(logger, "Pruning the inboxes");
            var backoff = new Backoff(TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, interval.Ticks / 10)), interval);
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    foreach (var table in tables)
                    {
                        var pruned = await table.PruneAsync(dataSource, options.Value.Retention, stoppingToken);
                        logger.LogDebug("Pruned {Count} claim(s) from {Inbox}", pruned, table.Name);
                    }

                    outage.Succeeded();
                    backoff.Reset();
                    wait = interval;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // Pruning must outlive any failure (the database away, a bug of one table): logged, tried again.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    outage.Failed(exception);
                    wait = backoff.Next();
                }

                try
                {
                    await Task.Delay(wait, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
