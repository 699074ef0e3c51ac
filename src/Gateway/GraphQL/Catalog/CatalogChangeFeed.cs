using System.Text.Json;
using Portal.Catalog.Queries;
using Portal.Contracts.Catalog;
using Portal.Gateway.GraphQL.Subscriptions;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>One change as a live subscriber receives it.</summary>
/// <param name="Ref">The entity reference, <c>kind:namespace/name</c>, lower-case.</param>
/// <param name="Change">created, updated, deleted or orphaned (<see cref="EntityChange"/>).</param>
/// <param name="CatalogVersion">The catalog's version once the change committed.</param>
/// <param name="At">When the change was made.</param>
public sealed record CatalogChange(string Ref, string Change, long CatalogVersion, DateTimeOffset At);

/// <summary>
/// The catalog's changes as they reach this replica over the bus, handed to live subscribers (GraphQL
/// subscriptions). Each subscriber has a filter and a bounded queue: a subscriber whose queue is full when a change
/// arrives is dropped (its queue ends with <see cref="SubscriberTooSlowException"/>), so one stalled client never
/// makes the replica buffer without limit. Filters are evaluated once per message for all subscribers sharing them,
/// in one database round trip.
/// </summary>
public sealed class CatalogChangeFeed(ChangeMatcher matcher, ILogger<CatalogChangeFeed> logger)
{
    // Enough to recognise a redelivery; the relay repeats a message only around a crash or a broker reconnect.
    private const int RememberedMessages = 10_000;

    private readonly Lock _gate = new();
    private readonly List<ChangeSubscription> _subscribers = [];
    private readonly HashSet<Guid> _delivered = [];
    private readonly Queue<Guid> _deliveredOrder = new();
    private long _catalogVersion;

    public int SubscriberCount
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>The largest catalog version this replica has heard of (0 before the first change).</summary>
    public long CatalogVersion => Interlocked.Read(ref _catalogVersion);

    /// <summary>
    /// Starts receiving changes the filter selects (every change when it is null). At most <paramref name="capacity"/>
    /// changes wait in the subscription; dispose it to stop.
    /// </summary>
    public ChangeSubscription Subscribe(EntityFilter? filter, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (filter is not null)
        {
            ChangeMatcher.Validate(filter);
        }

        var subscription = new ChangeSubscription(this, filter, filter is null ? null : JsonSerializer.Serialize(filter), capacity);
        lock (_gate)
        {
            _subscribers.Add(subscription);
        }

        return subscription;
    }

    /// <summary>Hands one bus message to the subscribers it concerns; a message already delivered is ignored.</summary>
    public async Task DeliverAsync(Guid messageId, EntitiesChanged message, CancellationToken cancellationToken)
    {
        ChangeSubscription[] subscribers;
        lock (_gate)
        {
            // Claimed before the first await, so a repeat arriving meanwhile is ignored too; released if delivery fails.
            if (!_delivered.Add(messageId))
            {
                logger.LogDebug("Catalog change message {MessageId} was delivered already; ignored", messageId);
                return;
            }

            _deliveredOrder.Enqueue(messageId);
            if (_deliveredOrder.Count > RememberedMessages)
            {
                _delivered.Remove(_deliveredOrder.Dequeue());
            }

            subscribers = [.. _subscribers];
        }

        var changes = message.Changes ?? [];
        try
        {
            if (subscribers.Length > 0 && changes.Count > 0)
            {
                await DispatchAsync(subscribers, message, changes, cancellationToken);
            }
        }
        catch
        {
            lock (_gate)
            {
                _delivered.Remove(messageId);
            }

            throw;
        }

        long seen;
        while ((seen = Interlocked.Read(ref _catalogVersion)) < message.CatalogVersion
            && Interlocked.CompareExchange(ref _catalogVersion, message.CatalogVersion, seen) != seen)
        {
        }
    }

    private async Task DispatchAsync(
        ChangeSubscription[] subscribers, EntitiesChanged message, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
    {
        // Subscribers with the same filter share its evaluation.
        var filters = new List<EntityFilter>();
        var filterIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var subscriber in subscribers)
        {
            if (subscriber.FilterKey is { } key && !filterIndex.ContainsKey(key))
            {
                filterIndex[key] = filters.Count;
                filters.Add(subscriber.Filter!);
            }
        }

        var selected = filters.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToList();
        if (filters.Count > 0)
        {
            var existing = changes.Where(c => c.Change != EntityChange.Deleted).Select(c => c.Ref).Distinct(StringComparer.Ordinal).ToList();
            foreach (var chunk in existing.Chunk(ChangeMatcher.MaxRefs))
            {
                var matches = await matcher.MatchAsync(chunk, filters, cancellationToken);
                for (var i = 0; i < filters.Count; i++)
                {
                    selected[i].UnionWith(matches[i]);
                }
            }

            foreach (var deleted in changes.Where(c => c.Change == EntityChange.Deleted))
            {
                for (var i = 0; i < filters.Count; i++)
                {
                    if (ChangeMatcher.MayMatchDeleted(filters[i], deleted.Ref))
                    {
                        selected[i].Add(deleted.Ref);
                    }
                }
            }
        }

        foreach (var subscriber in subscribers)
        {
            var wanted = subscriber.FilterKey is { } key ? selected[filterIndex[key]] : null;
            foreach (var change in changes)
            {
                if (wanted is not null && !wanted.Contains(change.Ref))
                {
                    continue;
                }

                if (!subscriber.TryWrite(new CatalogChange(change.Ref, change.Change, message.CatalogVersion, message.At)))
                {
                    logger.LogInformation("Dropped a catalog change subscriber: {Capacity} changes were already waiting for it", subscriber.Capacity);
                    subscriber.Drop();
                    break;
                }
            }
        }
    }

    internal void Remove(ChangeSubscription subscription)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscription);
        }
    }
}
