using GraphQL;

namespace Portal.Gateway.GraphQL.Subscriptions;

/// <summary>
/// A subscription's changes as the observable GraphQL.NET streams, pushed in order by one reader task; the
/// executor's unsubscribe ends the reader and the feed subscription. A subscriber the feed dropped for being too slow
/// ends with a <c>SUBSCRIBER_TOO_SLOW</c> error.
/// </summary>
internal sealed class ChangeStream<TChange>(ChangeSubscription<TChange> subscription, SemaphoreSlim? eventTurn) : IObservable<TChange>
{
    private int _subscribed;

    public IDisposable Subscribe(IObserver<TChange> observer)
    {
        if (Interlocked.Exchange(ref _subscribed, 1) == 1)
        {
            throw new InvalidOperationException("A change stream has a single subscriber.");
        }

        var stop = new CancellationTokenSource();
        _ = PumpAsync(observer, stop.Token);
        return new Unsubscriber(subscription, stop);
    }

    private async Task PumpAsync(IObserver<TChange> observer, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in subscription.Changes.ReadAllAsync(cancellationToken))
            {
                // The executor starts each event it is handed at once: hand it the next when the last is done.
                if (eventTurn is not null)
                {
                    await eventTurn.WaitAsync(cancellationToken);
                }

                observer.OnNext(change);
            }

            observer.OnCompleted();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Unsubscribed: nothing more to say.
        }
        catch (SubscriberTooSlowException tooSlow)
        {
            observer.OnError(new ExecutionError(tooSlow.Message) { Code = GraphQLErrorCodes.SubscriberTooSlow });
        }
    }

    private sealed class Unsubscriber(ChangeSubscription<TChange> subscription, CancellationTokenSource stop) : IDisposable
    {
        public void Dispose()
        {
            stop.Cancel();
            subscription.Dispose();
            stop.Dispose();
        }
    }
}
