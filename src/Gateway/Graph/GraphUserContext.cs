using GraphQL;
using Portal.Catalog.Queries;
using Portal.Gateway.Graph.Catalog;

namespace Portal.Gateway.Graph;

/// <summary>
/// What one GraphQL execution carries besides its arguments: the batched loaders, whose caches must not outlive the
/// execution (a subscription's events each start from fresh data).
/// </summary>
public sealed class GraphUserContext(EntityQueryService queries) : Dictionary<string, object?>
{
    public EntityLoader Entities { get; private set; } = new(queries);

    /// <summary>
    /// A subscription reuses its context for every event: each event starts with empty loaders, so it shows the
    /// catalog as it is when the event is sent, not as an earlier event loaded it.
    /// </summary>
    public void StartEvent() => Entities = new EntityLoader(queries);
}

public static class GraphContextExtensions
{
    public static GraphUserContext Portal(this IResolveFieldContext context) =>
        context.UserContext as GraphUserContext
        ?? throw new InvalidOperationException("The execution was started without a GraphUserContext.");

    public static T Service<T>(this IResolveFieldContext context)
        where T : notnull =>
        context.RequestServices!.GetRequiredService<T>();
}
