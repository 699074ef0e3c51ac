using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

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

    /// <summary>Prunes every registered inbox once an hour; a failure is logged and tried again at the next round.</summary>
    private sealed class InboxPruner(
        IEnumerable<InboxTable> tables, NpgsqlDataSource dataSource, IOptions<InboxOptions> options, ILogger<InboxPruner> logger) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            using var timer = new PeriodicTimer(TimeSpan.FromHours(1));
            do
            {
                foreach (var table in tables)
                {
                    try
                    {
                        var pruned = await table.PruneAsync(dataSource, options.Value.Retention, stoppingToken);
                        logger.LogDebug("Pruned {Count} claim(s) from {Inbox}", pruned, table.Name);
                    }
                    catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
                    {
                        logger.LogWarning(exception, "Pruning {Inbox} failed; trying again in an hour", table.Name);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
    }
}
