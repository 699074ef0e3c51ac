using System.Threading.Channels;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Catalog;

namespace Portal.Gateway.GraphQL.Subscriptions;

/// <summary>
/// One subscriber of the <see cref="CatalogChangeFeed"/>: the changes its filter selects, queued up to a capacity.
/// Read <see cref="Changes"/> until it completes; it completes with <see cref="SubscriberTooSlowException"/> when the
/// subscriber fell behind. Dispose to unsubscribe.
/// </summary>
public sealed class ChangeSubscription : IDisposable
{
    private readonly CatalogChangeFeed _feed;
    private readonly Channel<CatalogChange> _queue;

    internal ChangeSubscription(CatalogChangeFeed feed, EntityFilter? filter, string? filterKey, int capacity)
    {
        _feed = feed;
        Filter = filter;
        FilterKey = filterKey;
        Capacity = capacity;
        _queue = Channel.CreateBounded<CatalogChange>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full, and the feed drops the subscriber
            SingleReader = true,
            SingleWriter = true,
        });
    }

    public EntityFilter? Filter { get; }

    public int Capacity { get; }

    public ChannelReader<CatalogChange> Changes => _queue.Reader;

    /// <summary>The filter's identity: subscribers with equal keys share one evaluation.</summary>
    internal string? FilterKey { get; }

    internal bool TryWrite(CatalogChange change) => _queue.Writer.TryWrite(change);

    internal void Drop()
    {
        _queue.Writer.TryComplete(new SubscriberTooSlowException(Capacity));
        _feed.Remove(this);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _feed.Remove(this);
    }
}

/// <summary>The subscriber had <c>capacity</c> changes waiting when another arrived, and was dropped.</summary>
public sealed class SubscriberTooSlowException(int capacity)
    : Exception($"Subscriber too slow: {capacity} changes were already waiting to be sent when another arrived, so the subscription was dropped. Subscribe again, and re-read what you show.");
