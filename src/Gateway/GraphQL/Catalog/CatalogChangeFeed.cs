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
/// The catalog's changes as they reach this replica over the bus, handed to live subscribers (GraphQL subscriptions)
/// through a <see cref="ChangeFeed{TChange, TFilter}"/>: bounded queues, slow subscribers dropped, redeliveries
/// ignored. What is the catalog's own: each subscriber's filter is an entity filter, evaluated once per message for all
/// subscribers sharing it, in one database round trip; and the feed keeps the catalog version it has heard of.
/// </summary>
public sealed class CatalogChangeFeed(ChangeMatcher matcher, ILogger<CatalogChangeFeed> logger)
{
    private readonly ChangeFeed<CatalogChange, SubscriberFilter?> _feed = new("catalog change", logger);
    private long _catalogVersion;

    public int SubscriberCount => _feed.SubscriberCount;

    /// <summary>The largest catalog version this replica has heard of (0 before the first change).</summary>
    public long CatalogVersion => Interlocked.Read(ref _catalogVersion);

    /// <summary>
    /// Starts receiving changes the filter selects (every change when it is null). At most <paramref name="capacity"/>
    /// changes wait in the subscription; dispose it to stop.
    /// </summary>
    public ChangeSubscription<CatalogChange> Subscribe(EntityFilter? filter, int capacity)
    {
        if (filter is not null)
        {
            ChangeMatcher.Validate(filter);
        }

        return _feed.Subscribe(filter is null ? null : new SubscriberFilter(filter, JsonSerializer.Serialize(filter)), capacity);
    }

    /// <summary>Hands one bus message to the subscribers it concerns; a message already delivered is ignored.</summary>
    public async Task DeliverAsync(Guid messageId, EntitiesChanged message, CancellationToken cancellationToken)
    {
        var changes = message.Changes ?? [];
        if (!await _feed.DeliverAsync(messageId, (subscribers, token) => DispatchAsync(subscribers, message, changes, token), cancellationToken))
        {
            return;
        }

        long seen;
        while ((seen = Interlocked.Read(ref _catalogVersion)) < message.CatalogVersion
            && Interlocked.CompareExchange(ref _catalogVersion, message.CatalogVersion, seen) != seen)
        {
        }
    }

    private async Task DispatchAsync(
        IReadOnlyList<(ChangeSubscription<CatalogChange> Subscription, SubscriberFilter? Filter)> subscribers,
        EntitiesChanged message,
        IReadOnlyList<EntityChange> changes,
        CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }

        // Subscribers with the same filter share its evaluation.
        var filters = new List<EntityFilter>();
        var filterIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (_, filter) in subscribers)
        {
            if (filter is not null && !filterIndex.ContainsKey(filter.Key))
            {
                filterIndex[filter.Key] = filters.Count;
                filters.Add(filter.Filter);
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

        foreach (var (subscriber, filter) in subscribers)
        {
            var wanted = filter is not null ? selected[filterIndex[filter.Key]] : null;
            foreach (var change in changes)
            {
                if (wanted is not null && !wanted.Contains(change.Ref))
                {
                    continue;
                }

                if (!_feed.Send(subscriber, new CatalogChange(change.Ref, change.Change, message.CatalogVersion, message.At)))
                {
                    break;
                }
            }
        }
    }

    /// <summary>A subscriber's entity filter, with its identity: subscribers with equal keys share one evaluation.</summary>
    private sealed record SubscriberFilter(EntityFilter Filter, string Key);
}
