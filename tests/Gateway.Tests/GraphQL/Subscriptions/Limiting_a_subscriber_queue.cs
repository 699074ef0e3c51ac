using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Portal.Catalog.Queries;
using Portal.Contracts.Catalog;
using Portal.Gateway.GraphQL.Catalog;
using Portal.Gateway.GraphQL.Subscriptions;

namespace Portal.Gateway.Tests.GraphQL.Subscriptions;

/// <summary>
/// The catalog's change feed on its own, without a gateway or a bus: messages are handed to it as the bus would. Its
/// subscribers here have no filter (every change), so its matcher never asks the database, which is never opened.
/// </summary>
public sealed class Limiting_a_subscriber_queue : IAsyncDisposable
{
    private readonly NpgsqlDataSource _neverOpened = NpgsqlDataSource.Create("Host=localhost");
    private readonly CatalogChangeFeed _feed;

    public Limiting_a_subscriber_queue() =>
        _feed = new CatalogChangeFeed(new ChangeMatcher(_neverOpened), NullLogger<CatalogChangeFeed>.Instance);

    [Fact]
    public async Task A_subscriber_whose_queue_is_full_when_another_change_arrives_is_dropped_while_one_with_room_hears_every_change()
    {
        using var slow = _feed.Subscribe(filter: null, capacity: 2);
        using var roomy = _feed.Subscribe(filter: null, capacity: 10);

        await DeliverAsync(Guid.NewGuid(), "component:default/a", "component:default/b");
        var subscribersWithTheSlowQueueFull = _feed.SubscriberCount;
        await DeliverAsync(Guid.NewGuid(), "component:default/c");
        await DeliverAsync(Guid.NewGuid(), "component:default/d", "component:default/e");

        Assert.Equal(2, subscribersWithTheSlowQueueFull);
        Assert.Equal(1, _feed.SubscriberCount);
        Assert.Equal(["component:default/a", "component:default/b"], Waiting(slow));
        var dropped = await Assert.ThrowsAsync<SubscriberTooSlowException>(
            () => slow.Changes.Completion.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        Assert.StartsWith("Subscriber too slow: 2 changes were already waiting", dropped.Message, StringComparison.Ordinal);
        Assert.Equal(["component:default/a", "component:default/b", "component:default/c", "component:default/d", "component:default/e"],
            Waiting(roomy));
        Assert.False(roomy.Changes.Completion.IsCompleted);
    }

    [Fact]
    public async Task A_message_delivered_twice_reaches_its_subscribers_once()
    {
        using var subscriber = _feed.Subscribe(filter: null, capacity: 10);
        var repeated = Guid.NewGuid();

        await DeliverAsync(repeated, "component:default/a", "component:default/b");
        await DeliverAsync(repeated, "component:default/a", "component:default/b");
        await DeliverAsync(Guid.NewGuid(), "component:default/c");

        Assert.Equal(["component:default/a", "component:default/b", "component:default/c"], Waiting(subscriber));
    }

    public ValueTask DisposeAsync() => _neverOpened.DisposeAsync();

    /// <summary>One bus message: the entities with these refs were updated.</summary>
    private Task DeliverAsync(Guid messageId, params string[] refs) => _feed.DeliverAsync(
        messageId,
        new EntitiesChanged(1, [.. refs.Select(entityRef => new EntityChange(entityRef, EntityChange.Updated))], DateTimeOffset.UtcNow),
        TestContext.Current.CancellationToken);

    /// <summary>The refs of the changes waiting in a subscriber's queue, taken from it.</summary>
    private static List<string> Waiting(ChangeSubscription<CatalogChange> subscription)
    {
        var refs = new List<string>();
        while (subscription.Changes.TryRead(out var change))
        {
            refs.Add(change.Ref);
        }

        return refs;
    }
}
