using GraphQL;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Catalog;

namespace Portal.Gateway.GraphQL.Execution;

/// <summary>
/// What one GraphQL execution carries besides its arguments: the batched loader, whose cache must not outlive the
/// execution (a subscription's events each start from fresh data).
/// </summary>
public sealed class GraphQLUserContext(EntityQueryService queries) : Dictionary<string, object?>
{
    public EntityLoader Entities { get; private set; } = new(queries);

    /// <summary>
    /// For a subscription over a connection that paces it: one event executes at a time, the next once the connection
    /// has taken the previous result. GraphQL.NET starts every event it is handed at once, so without this a burst of
    /// changes would run hundreds of executions (and queries) side by side, and they would share this context.
    /// </summary>
    public SemaphoreSlim? EventTurn { get; init; }

    /// <summary>
    /// A subscription reuses its context for every event: each event starts with an empty loader, so it shows the
    /// catalog as it is when the event is sent, not as an earlier event loaded it.
    /// </summary>
    public void StartEvent() => Entities = new EntityLoader(queries);
}

public static class GraphQLContextExtensions
{
    public static GraphQLUserContext Portal(this IResolveFieldContext context) =>
        context.UserContext as GraphQLUserContext
        ?? throw new InvalidOperationException("The execution was started without a GraphQLUserContext.");

    public static T Service<T>(this IResolveFieldContext context)
        where T : notnull =>
        context.RequestServices!.GetRequiredService<T>();
}
