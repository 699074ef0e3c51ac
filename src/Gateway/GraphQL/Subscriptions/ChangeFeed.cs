namespace Portal.Gateway.GraphQL.Subscriptions;

/// <summary>
/// A module's changes as they reach this replica over the bus, handed to live subscribers (GraphQL subscriptions);
/// each module's feed is built on this one (the catalog's: <c>CatalogChangeFeed</c>). Every subscriber has a filter
/// (<typeparamref name="TFilter"/>, whatever the module's subscription asks for) and a bounded queue: a subscriber whose
/// queue is full when a change arrives is dropped (its queue ends with <see cref="SubscriberTooSlowException"/>), so
/// one stalled client never makes the replica buffer without limit. A bus message is delivered once: the relay repeats
/// one around a crash or a broker reconnect, and a message id this feed has delivered recently is ignored.
/// </summary>
/// <remarks>Thread-safe. The module decides which changes each subscriber gets, in the dispatch it hands to <see cref="DeliverAsync"/>.</remarks>
public sealed class ChangeFeed<TChange, TFilter>(string name, ILogger logger)
{
    // Enough to recognise a redelivery; the relay repeats a message only around a crash or a broker reconnect.
    private const int RememberedMessages = 10_000;

    private readonly Lock _gate = new();
    private readonly List<(ChangeSubscription<TChange> Subscription, TFilter Filter)> _subscribers = [];
    private readonly HashSet<Guid> _delivered = [];
    private readonly Queue<Guid> _deliveredOrder = new();

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

    /// <summary>
    /// Starts receiving the changes the filter selects. At most <paramref name="capacity"/> changes wait in the
    /// subscription; dispose it to stop.
    /// </summary>
    public ChangeSubscription<TChange> Subscribe(TFilter filter, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var subscription = new ChangeSubscription<TChange>(Remove, capacity);
        lock (_gate)
        {
            _subscribers.Add((subscription, filter));
        }

        return subscription;
    }

    /// <summary>
    /// Hands one bus message to the subscribers: <paramref name="dispatch"/> gets them with their filters and
    /// <see cref="Send"/>s each the changes it selects. A message already delivered is ignored (false); one whose
    /// dispatch fails may be delivered again.
    /// </summary>
    public async Task<bool> DeliverAsync(
        Guid messageId,
        Func<IReadOnlyList<(ChangeSubscription<TChange> Subscription, TFilter Filter)>, CancellationToken, Task> dispatch,
        CancellationToken cancellationToken)
    {
        (ChangeSubscription<TChange> Subscription, TFilter Filter)[] subscribers;
        lock (_gate)
        {
            // Claimed before the first await, so a repeat arriving meanwhile is ignored too; released if delivery fails.
            if (!_delivered.Add(messageId))
            {
                logger.LogDebug("A {Feed} message {MessageId} was delivered already; ignored", name, messageId);
                return false;
            }

            _deliveredOrder.Enqueue(messageId);
            if (_deliveredOrder.Count > RememberedMessages)
            {
                _delivered.Remove(_deliveredOrder.Dequeue());
            }

            subscribers = [.. _subscribers];
        }

        try
        {
            if (subscribers.Length > 0)
            {
                await dispatch(subscribers, cancellationToken);
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

        return true;
    }

    /// <summary>
    /// Queues a change for a subscriber, or drops the subscriber when its queue is full. False once it is dropped:
    /// send it nothing more.
    /// </summary>
    public bool Send(ChangeSubscription<TChange> subscriber, TChange change)
    {
        if (subscriber.TryWrite(change))
        {
            return true;
        }

        logger.LogInformation("Dropped a {Feed} subscriber: {Capacity} changes were already waiting for it", name, subscriber.Capacity);
        subscriber.Drop();
        return false;
    }

    private void Remove(ChangeSubscription<TChange> subscription)
    {
        lock (_gate)
        {
            _subscribers.RemoveAll(subscriber => subscriber.Subscription == subscription);
        }
    }
}
