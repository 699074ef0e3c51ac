using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Portal.Catalog.Messaging;
using Portal.Catalog.Tests.Ingestion;
using Portal.Contracts.Catalog;
using Portal.Testing;

namespace Portal.Catalog.Tests.Messaging;

/// <summary>
/// <see cref="RegisterLocation"/> commands reaching two replicas of the catalog, each with its own in-memory bus (the
/// default transport: every replica's relay publishes every outbox row to its own consumers).
/// </summary>
public sealed class Registering_a_location_from_the_bus(TestDatabase database) : IClassFixture<TestDatabase>, IDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly CatalogFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task One_message_delivered_twice_to_each_of_two_replicas_registers_once_and_is_answered_once()
    {
        var file = _folder.Write("catalog-info.yaml", CatalogFolder.Component("from-the-bus", "team-bus"));
        using var first = Replica();
        using var second = Replica();
        await first.StartAsync(Cancellation);
        await second.StartAsync(Cancellation);
        var command = new RegisterLocation("file", file, "user:default/ada");
        var messageId = NewId.NextGuid();
        var versionBefore = await ScalarAsync<long>("SELECT version FROM catalog.catalog_state");

        // Both replicas hear it at once, and each hears it again (a relay that crashed after publishing).
        await Task.WhenAll(
            PublishAsync(first, command, messageId),
            PublishAsync(second, command, messageId),
            PublishAsync(first, command, messageId),
            PublishAsync(second, command, messageId));
        await ConsumedAsync(first, 2);
        await ConsumedAsync(second, 2);

        Assert.Equal(1, await ScalarAsync<long>($"SELECT count(*) FROM catalog.locations WHERE target = '{file}'"));
        Assert.Equal(versionBefore + 1, await ScalarAsync<long>("SELECT version FROM catalog.catalog_state"));
        Assert.Equal(1, await ScalarAsync<long>("SELECT count(*) FROM catalog.entity_history WHERE entity_ref = 'component:default/from-the-bus'"));
        Assert.Equal("user:default/ada", await ScalarAsync<string>("SELECT actor FROM catalog.entity_history WHERE entity_ref = 'component:default/from-the-bus'"));
        Assert.Equal(1, await ScalarAsync<long>(
            $"SELECT count(*) FROM catalog.inbox WHERE consumer = '{RegisterLocationConsumer.InboxName}' AND message_id = '{messageId}'"));
        var answer = Assert.Single(await AnswersAsync(messageId));
        Assert.Equal(typeof(LocationRegistered).FullName, answer.Type);
        Assert.False((bool)answer.Body["alreadyRegistered"]!);
        Assert.Equal(["component:default/from-the-bus"], answer.Body["entityRefs"]!.AsArray().Select(r => (string?)r));
        Assert.Equal(0, Deliveries(first).Faulted + Deliveries(second).Faulted);
    }

    [Fact]
    public async Task A_second_command_for_a_registered_target_is_answered_as_already_registered()
    {
        var file = _folder.Write("catalog-info.yaml", CatalogFolder.Component("registered-twice", "team-bus"));
        using var replica = Replica();
        await replica.StartAsync(Cancellation);
        var firstId = NewId.NextGuid();
        var secondId = NewId.NextGuid();

        await PublishAsync(replica, new RegisterLocation("file", file), firstId);
        await ConsumedAsync(replica, 1);
        await PublishAsync(replica, new RegisterLocation("file", file), secondId);
        await ConsumedAsync(replica, 2);

        var first = Assert.Single(await AnswersAsync(firstId));
        var second = Assert.Single(await AnswersAsync(secondId));
        Assert.False((bool)first.Body["alreadyRegistered"]!);
        Assert.True((bool)second.Body["alreadyRegistered"]!);
        Assert.Equal((string?)first.Body["locationId"], (string?)second.Body["locationId"]);
        Assert.Equal(["component:default/registered-twice"], second.Body["entityRefs"]!.AsArray().Select(r => (string?)r));
    }

    [Fact]
    public async Task A_target_that_cannot_be_read_is_answered_with_the_reason_once_and_not_retried()
    {
        var missing = Path.Combine(_folder.Root, "no-such-file.yaml");
        using var replica = Replica();
        await replica.StartAsync(Cancellation);
        var messageId = NewId.NextGuid();

        await PublishAsync(replica, new RegisterLocation("file", missing), messageId);
        await PublishAsync(replica, new RegisterLocation("file", missing), messageId);
        await ConsumedAsync(replica, 2);

        var answer = Assert.Single(await AnswersAsync(messageId));
        Assert.Equal(typeof(LocationRegistrationFailed).FullName, answer.Type);
        Assert.Contains("no-such-file.yaml", (string?)answer.Body["reason"], StringComparison.Ordinal);
        Assert.Equal(0, await ScalarAsync<long>($"SELECT count(*) FROM catalog.locations WHERE target = '{missing}'"));
    }

    /// <summary>A replica: the catalog and its consumers on an in-memory bus of its own, on the shared database.</summary>
    private IHost Replica()
    {
        var replica = ModuleHost.Build(
            database.ConnectionString,
            new Dictionary<string, string?> { ["Catalog:Locations:RefreshInterval"] = "00:00:00" },
            services =>
            {
                services.AddSingleton<DeliveryCounter>();
                services.AddMassTransit(bus =>
                {
                    bus.AddCatalogConsumers();
                    bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
                });
            });
        replica.Services.GetRequiredService<IBus>().ConnectConsumeObserver(Deliveries(replica));
        return replica;
    }

    private static DeliveryCounter Deliveries(IHost replica) => replica.Services.GetRequiredService<DeliveryCounter>();

    private static Task PublishAsync(IHost replica, RegisterLocation command, Guid messageId) =>
        replica.Services.GetRequiredService<IBus>().Publish(command, context => context.MessageId = messageId, Cancellation);

    /// <summary>Waits until the replica's consumer has finished <paramref name="count"/> deliveries, none of them faulted.</summary>
    private static async Task ConsumedAsync(IHost replica, int count)
    {
        var deliveries = Deliveries(replica);
        await Eventually.UntilAsync(() => Task.FromResult(deliveries.Consumed + deliveries.Faulted), done => done >= count, TimeSpan.FromSeconds(20), $"{count} deliveries");
        Assert.Equal((count, 0), (deliveries.Consumed, deliveries.Faulted));
    }

    /// <summary>Counts the deliveries a replica's consumers finished, by outcome (each repeat counts: same message id or not).</summary>
    private sealed class DeliveryCounter : IConsumeObserver
    {
        private int _consumed;
        private int _faulted;

        public int Consumed => Volatile.Read(ref _consumed);

        public int Faulted => Volatile.Read(ref _faulted);

        public Task PreConsume<T>(ConsumeContext<T> context)
            where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context)
            where T : class
        {
            Interlocked.Increment(ref _consumed);
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception)
            where T : class
        {
            Interlocked.Increment(ref _faulted);
            return Task.CompletedTask;
        }
    }

    private async Task<List<(string Type, JsonObject Body)>> AnswersAsync(Guid commandId)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(
            "SELECT message_type, body::text FROM catalog.outbox WHERE body->>'commandId' = @id ORDER BY position", connection);
        command.Parameters.AddWithValue("id", commandId.ToString());
        var answers = new List<(string, JsonObject)>();
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        while (await reader.ReadAsync(Cancellation))
        {
            answers.Add((reader.GetString(0), JsonNode.Parse(reader.GetString(1))!.AsObject()));
        }

        return answers;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
