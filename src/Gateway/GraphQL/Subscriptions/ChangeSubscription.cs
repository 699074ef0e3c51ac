using System.Threading.Channels;

namespace Portal.Gateway.GraphQL.Subscriptions;

/// <summary>
/// One subscriber of a <see cref="ChangeFeed{TChange, TFilter}"/>: the changes its filter selects, queued up to a
/// capacity. Read <see cref="Changes"/> until it completes; it completes with <see cref="SubscriberTooSlowException"/>
/// when the subscriber fell behind. Dispose to unsubscribe.
/// </summary>
public sealed class ChangeSubscription<TChange> : IDisposable
{
    private readonly Action<ChangeSubscription<TChange>> _unsubscribe;
    private readonly Channel<TChange> _queue;

    internal ChangeSubscription(Action<ChangeSubscription<TChange>> unsubscribe, int capacity)
    {
        _unsubscribe = unsubscribe;
        Capacity = capacity;
        _queue = Channel.CreateBounded<TChange>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full, and the feed drops the subscriber
            SingleReader = true,
            SingleWriter = true,
        });
    }

    public int Capacity { get; }

    public ChannelReader<TChange> Changes => _queue.Reader;

    internal bool TryWrite(TChange change) => _queue.Writer.TryWrite(change);

    internal void Drop()
    {
        _queue.Writer.TryComplete(new SubscriberTooSlowException(Capacity));
        _unsubscribe(this);
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _unsubscribe(this);
    }
}

/// <summary>The subscriber had <c>capacity</c> changes waiting when another arrived, and was dropped.</summary>
public sealed class SubscriberTooSlowException(int capacity)
    : Exception($"Subscriber too slow: {capacity} changes were already waiting to be sent when another arrived, so the subscription was dropped. Subscribe again, and re-read what you show.");
