using GraphQL;
using GraphQL.Types;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Catalog;
using Portal.Gateway.GraphQL.Execution;

namespace Portal.Gateway.GraphQL.Subscriptions;

/// <summary>The root subscription type: live streams, served over WebSocket (graphql-transport-ws).</summary>
public sealed class SubscriptionType : ObjectGraphType
{
    // Changes wait here while the subscription's previous event runs (one at a time, see GraphQLUserContext.EventTurn):
    // two whole bus messages (500 changes each). A subscription that falls further behind is dropped; a client's own
    // pace is bounded where its results wait for the socket (Graph:WebSockets:MaxPendingBytes).
    private const int FeedCapacity = 1000;

    public SubscriptionType()
    {
        Name = "Subscription";
        Field<NonNullGraphType<EntityChangedEventType>>("entityChanged")
            .Description("""
                Catalog entities as they are created, updated, deleted or orphaned, from the moment the subscription
                starts; catalogVersion orders them. With a filter, only the entities it selects (the same filter as the
                entity queries).
                A deleted entity is matched on its kind, namespace and name only, so a filter on other fields may let
                through the deletion of an entity it did not select. A client that falls behind is dropped with an error.
                """)
            .Argument<ListGraphType<NonNullGraphType<EntityFilterInputType>>>("filter",
                "Entities to hear about: any filter of the list matches (OR), every condition inside one must hold (AND).")
            .ResolveStream(context =>
            {
                EntityFilter? filter;
                ChangeSubscription subscription;
                try
                {
                    filter = EntityFilterInputType.ToCatalogFilter(context.GetArgument<List<EntityFilterInput>?>("filter"));
                    subscription = context.RequestServices!.GetRequiredService<CatalogChangeFeed>()
                        .Subscribe(filter, FeedCapacity);
                }
                catch (InvalidQueryException exception)
                {
                    throw new ExecutionError($"Invalid filter: {exception.Message}") { Code = "INVALID_FILTER" };
                }

                return new ChangeStream(subscription, context.Portal().EventTurn);
            });
    }

    /// <summary>
    /// The subscription's changes as the observable GraphQL.NET streams, pushed in order by one reader task; the
    /// executor's unsubscribe ends the reader and the feed subscription.
    /// </summary>
    private sealed class ChangeStream(ChangeSubscription subscription, SemaphoreSlim? eventTurn) : IObservable<CatalogChange>
    {
        private int _subscribed;

        public IDisposable Subscribe(IObserver<CatalogChange> observer)
        {
            if (Interlocked.Exchange(ref _subscribed, 1) == 1)
            {
                throw new InvalidOperationException("A change stream has a single subscriber.");
            }

            var stop = new CancellationTokenSource();
            _ = PumpAsync(observer, stop.Token);
            return new Unsubscriber(subscription, stop);
        }

        private async Task PumpAsync(IObserver<CatalogChange> observer, CancellationToken cancellationToken)
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

        private sealed class Unsubscriber(ChangeSubscription subscription, CancellationTokenSource stop) : IDisposable
        {
            public void Dispose()
            {
                stop.Cancel();
                subscription.Dispose();
                stop.Dispose();
            }
        }
    }
}
