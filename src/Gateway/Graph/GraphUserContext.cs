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
    public EntityLoader Entities { get; } = new(queries);
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
