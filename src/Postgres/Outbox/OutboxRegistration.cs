using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Portal.Postgres.Outbox;

public static class OutboxRegistration
{
    /// <summary>A module registers its outbox, so that the host's relay (<see cref="AddOutboxRelays"/>) publishes it.</summary>
    public static IServiceCollection AddOutbox(this IServiceCollection services, OutboxTable table)
    {
        services.AddSingleton(table);
        return services;
    }

    /// <summary>
    /// The host runs one relay per outbox a module registered, publishing on the host's one bus
    /// (<see cref="OutboxDelivery"/>: to every replica's own bus, or once to a shared broker).
    /// </summary>
    public static IServiceCollection AddOutboxRelays(this IServiceCollection services, OutboxDelivery delivery)
    {
        services.AddOptions<OutboxOptions>()
            .BindConfiguration(OutboxOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutboxRelays>(provider => new OutboxRelays(
            [.. provider.GetServices<OutboxTable>().Select(table => new OutboxRelay(
                table,
                delivery,
                provider.GetRequiredService<NpgsqlDataSource>(),
                provider.GetRequiredService<IBus>(),
                provider.GetRequiredService<IOptions<OutboxOptions>>(),
                provider.GetRequiredService<ILogger<OutboxRelay>>()))])));
        return services;
    }

    /// <summary>The relays of every registered outbox, each looping until the host stops.</summary>
    private sealed class OutboxRelays(IReadOnlyList<OutboxRelay> relays) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
            Task.WhenAll(relays.Select(relay => Task.Run(() => relay.RunAsync(stoppingToken), CancellationToken.None)));
    }
}
