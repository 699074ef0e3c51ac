using GraphQL.DataLoader;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Graph.Catalog;

/// <summary>
/// Relations whose target is not in the catalog, per source entity, for one GraphQL execution. The REST API reports
/// them as warnings in an entity's <c>status.items</c>, computed on read; <c>status</c> here shows the same. Batched like
/// <see cref="EntityLoader"/>: every entity of a level whose status is asked for costs one round trip together.
/// </summary>
public sealed class DanglingRelationLoader(EntityQueryService queries)
{
    private readonly Dictionary<string, IReadOnlyList<RelationView>> _loaded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private Task? _fetch;

    /// <summary>The dangling relations of the entity <paramref name="entityRef"/> (a ref as the catalog stores it).</summary>
    public IDataLoaderResult<IReadOnlyList<RelationView>> Load(string entityRef)
    {
        lock (_loaded)
        {
            if (!_loaded.ContainsKey(entityRef))
            {
                _pending.Add(entityRef);
            }
        }

        return new Pending<IReadOnlyList<RelationView>>(cancellationToken => GetAsync(entityRef, cancellationToken));
    }

    private async Task<IReadOnlyList<RelationView>> GetAsync(string entityRef, CancellationToken cancellationToken)
    {
        // At most two passes: a fetch in flight may have started before this ref was asked for.
        for (var pass = 0; pass < 2; pass++)
        {
            Task fetch;
            lock (_loaded)
            {
                if (_loaded.TryGetValue(entityRef, out var known))
                {
                    return known;
                }

                if (_fetch is null || _fetch.IsCompleted)
                {
                    _pending.Add(entityRef);
                    string[] batch = [.. _pending];
                    _pending.Clear();
                    _fetch = FetchAsync(batch, cancellationToken);
                }

                fetch = _fetch;
            }

            await fetch;
        }

        lock (_loaded)
        {
            return _loaded.TryGetValue(entityRef, out var known)
                ? known
                : throw new InvalidOperationException($"The dangling relations of {entityRef} were asked for but never fetched.");
        }
    }

    private async Task FetchAsync(string[] batch, CancellationToken cancellationToken)
    {
        var dangling = await queries.DanglingRelationsAsync(batch, cancellationToken);
        lock (_loaded)
        {
            foreach (var source in batch)
            {
                // In the REST API's order (ordinal by type, then target), whatever the database's collation.
                _loaded[source] = dangling[source]
                    .OrderBy(r => r.Type, StringComparer.Ordinal).ThenBy(r => r.TargetRef, StringComparer.Ordinal).ToList();
            }
        }
    }
}
