using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Catalog.Entities;
using Portal.Contracts.Catalog;
using Portal.Gateway.Tests.GraphQL.Subscriptions;

namespace Portal.Gateway.Tests.Messaging;

/// <summary>The gateway keeping relayed outbox rows for one second only.</summary>
public sealed class ShortRetentionApp : ChangeFeedApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [new("Bus:Outbox:Retention", "00:00:01")];
}

public sealed class Relaying_the_outbox(ChangeFeedApp app) : IClassFixture<ChangeFeedApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rows_that_can_never_be_published_are_set_aside_and_the_rows_after_them_still_go_out()
    {
        await app.WaitForChangesToArriveAsync();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        await socket.SubscribeAsync("after", "subscription { entityChanged { change ref } }");
        await app.WaitForSubscribersAsync(1);
        var unknownType = await InsertRowAsync("Portal.Contracts.Catalog.NoSuchMessage", "{}");
        var brokenBody = await InsertRowAsync(typeof(EntitiesChanged).FullName!, """{"changes": 5}""");

        await UpsertGroupAsync("after-the-poison");
        var heard = await socket.ReceiveAsync();

        Assert.Equal(("after", "CREATED", "group:default/after-the-poison"), ChangeMessages.Read(heard));
        Assert.Equal("'Portal.Contracts.Catalog.NoSuchMessage' is not a message type of Portal.Contracts.", await ErrorOfAsync(unknownType));
        Assert.StartsWith("The body is not a EntitiesChanged:", await ErrorOfAsync(brokenBody), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_that_arrives_twice_reaches_subscribers_once()
    {
        await app.WaitForChangesToArriveAsync();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        await socket.SubscribeAsync("once", "subscription { entityChanged { change ref } }");
        await app.WaitForSubscribersAsync(1);
        var message = new EntitiesChanged(long.MaxValue, [new EntityChange("component:default/said-twice", EntityChange.Updated)], DateTimeOffset.UtcNow);
        var messageId = NewId.NextGuid();

        // What a relay does when it crashed after publishing and before marking the row sent.
        await app.Get<IBus>().Publish(message, context => context.MessageId = messageId, Cancellation);
        await app.Get<IBus>().Publish(message, context => context.MessageId = messageId, Cancellation);
        var heard = await socket.ReceiveAsync();

        Assert.Equal(("once", "UPDATED", "component:default/said-twice"), ChangeMessages.Read(heard));
        await socket.AssertSilentAsync(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void The_bus_sends_no_usage_report_to_its_vendor()
    {
        // MassTransit reports to its vendor by default; an operator who did not ask for that must not get it.
        Assert.False(app.Get<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }

    private Task UpsertGroupAsync(string name) => UpsertGroupAsync(app, name);

    internal static Task UpsertGroupAsync(ChangeFeedApp app, string name) => app.Get<EntityService>().UpsertAsync((JsonObject)JsonNode.Parse($$$"""
        {"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"{{{name}}}"},"spec":{"type":"team","children":[]}}
        """)!, null, "test", Cancellation);

    private async Task<long> InsertRowAsync(string messageType, string body) => (long)(await ScalarAsync(app, """
        INSERT INTO catalog.outbox (message_id, message_type, body) VALUES (gen_random_uuid(), @type, @body::jsonb) RETURNING position
        """, ("type", messageType), ("body", body)))!;

    private async Task<string?> ErrorOfAsync(long position) =>
        await ScalarAsync(app, "SELECT error FROM catalog.outbox WHERE position = @position", ("position", position)) as string;

    internal static async Task<object?> ScalarAsync(ChangeFeedApp app, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteScalarAsync(Cancellation);
    }
}

public sealed class Pruning_the_outbox(ShortRetentionApp app) : IClassFixture<ShortRetentionApp>
{
    [Fact]
    public async Task Relayed_rows_are_pruned_once_the_retention_has_passed()
    {
        await Relaying_the_outbox.UpsertGroupAsync(app, "pruned-later");
        var written = await RowCountAsync();
        await app.WaitForChangesToArriveAsync();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(4);
        while (await RowCountAsync() > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, written);
        Assert.Equal(0, await RowCountAsync());
    }

    private async Task<long> RowCountAsync() =>
        (long)(await Relaying_the_outbox.ScalarAsync(app, "SELECT count(*) FROM catalog.outbox"))!;
}
