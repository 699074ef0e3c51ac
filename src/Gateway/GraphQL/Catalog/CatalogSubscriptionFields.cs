using GraphQL;
using GraphQL.Types;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Protection;
using Portal.Gateway.GraphQL.Subscriptions;
using Portal.Gateway.Hosting.Authorization;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>The catalog's subscriptions: entity changes, from the replica's <see cref="CatalogChangeFeed"/>.</summary>
internal static class CatalogSubscriptionFields
{
    // Changes wait here while the subscription's previous event runs (one at a time, see GraphQLUserContext.EventTurn):
    // two whole bus messages (500 changes each). A subscription that falls further behind is dropped; a client's own
    // pace is bounded where its results wait for the socket (Graph:WebSockets:MaxPendingBytes).
    private const int FeedCapacity = 1000;

    public static void AddTo(ObjectGraphType subscription)
    {
        GraphQLAuthorizationRule.Reads(subscription.Field<NonNullGraphType<EntityChangedEventType>>("entityChanged"), CatalogOperations.EntitiesRead)
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
                ChangeSubscription<CatalogChange> changes;
                try
                {
                    filter = EntityFilterInputType.ToCatalogFilter(context.GetArgument<List<EntityFilterInput>?>("filter"));
                    changes = context.RequestServices!.GetRequiredService<CatalogChangeFeed>()
                        .Subscribe(filter, FeedCapacity);
                }
                catch (InvalidQueryException exception)
                {
                    throw new ExecutionError($"Invalid filter: {exception.Message}") { Code = "INVALID_FILTER" };
                }

                return new ChangeStream<CatalogChange>(changes, context.Portal().EventTurn);
            });
    }
}
