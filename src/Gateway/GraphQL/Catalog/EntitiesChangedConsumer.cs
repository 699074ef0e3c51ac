using MassTransit;
using Portal.Contracts.Catalog;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>Feeds the replica's <see cref="CatalogChangeFeed"/> from the bus.</summary>
internal sealed class EntitiesChangedConsumer(CatalogChangeFeed feed) : IConsumer<EntitiesChanged>
{
    public Task Consume(ConsumeContext<EntitiesChanged> context) =>
        feed.DeliverAsync(context.MessageId ?? NewId.NextGuid(), context.Message, context.CancellationToken);
}

public static class CatalogChangeRegistration
{
    /// <summary>
    /// Adds the replica's change feed and its consumer. The consumer sits on a temporary endpoint of its own (a queue
    /// per process, gone with it) rather than a queue the replicas compete for, so every replica hears every change;
    /// it takes one message at a time, so subscribers see changes in the order they were published.
    /// </summary>
    public static IBusRegistrationConfigurator AddCatalogChangeFeed(this IBusRegistrationConfigurator bus)
    {
        bus.AddSingleton<CatalogChangeFeed>();
        bus.AddConsumer<EntitiesChangedConsumer>(consumer => consumer.UseMessageRetry(retry => retry.Intervals(100, 500, 2000)))
            .Endpoint(endpoint =>
            {
                // A name of its own (the endpoint's name would otherwise be shared by every replica: one queue, competing
                // consumers), and a queue that goes away with the replica.
                endpoint.InstanceId = ReplicaId();
                endpoint.Temporary = true;
                endpoint.ConcurrentMessageLimit = 1;
            });
        return bus;
    }

    private static string ReplicaId()
    {
        var host = new string(Environment.MachineName.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray());
        return $"{host}-{Guid.NewGuid().ToString("N")[..12]}";
    }
}
