using GraphQL.DataLoader;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Graph.Catalog;

/// <summary>
/// Loads entities by ref for one GraphQL execution, batched: resolvers ask for refs and get a pending result; when the
/// executor has walked a whole level of the response it resolves the pending results, and the first one to run fetches
/// every ref asked for so far in one round trip. A page of 20 components with their owners, systems and APIs costs one
/// query for the page and one per level of relation fields, whatever the page size.
/// </summary>
public sealed class EntityLoader(EntityQueryService queries)
{
    private readonly Dictionary<string, CatalogEntity?> _loaded = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private Task? _fetch;

    /// <summary>Remembers entities read another way (a page), so relations pointing back at them cost nothing.</summary>
    public void Prime(IEnumerable<CatalogEntity> entities)
    {
        lock (_loaded)
        {
            foreach (var entity in entities)
            {
                _loaded.TryAdd(entity.Ref, entity);
            }
        }
    }

    public IDataLoaderResult<CatalogEntity?> Load(string entityRef)
    {
        var key = entityRef.Trim().ToLowerInvariant();
        Enqueue([key]);
        return new Pending<CatalogEntity?>(async cancellationToken => (await GetAsync([key], cancellationToken))[0]);
    }

    /// <summary>The entities behind the refs, in order; refs to entities not in the catalog are left out.</summary>
    public IDataLoaderResult<IReadOnlyList<CatalogEntity>> LoadMany(IEnumerable<string> entityRefs)
    {
        var keys = entityRefs.Select(r => r.Trim().ToLowerInvariant()).ToList();
        Enqueue(keys);
        return new Pending<IReadOnlyList<CatalogEntity>>(async cancellationToken =>
            (await GetAsync(keys, cancellationToken)).OfType<CatalogEntity>().ToList());
    }

    /// <summary>Entities for refs, with null for misses, in order; one round trip for everything pending.</summary>
    public async Task<IReadOnlyList<CatalogEntity?>> GetAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        Enqueue(keys);

        // At most two passes: a fetch already in flight may have been started before these keys were asked for.
        for (var pass = 0; pass < 3; pass++)
        {
            Task fetch;
            lock (_loaded)
            {
                if (TryGetLoaded(keys) is { } ready)
                {
                    return ready;
                }

                if (_fetch is null || _fetch.IsCompleted)
                {
                    if (_pending.Count == 0)
                    {
                        // The keys were in a batch that failed; its error has been reported to whoever awaited it.
                        throw new InvalidOperationException("Loading entities failed earlier in this request.");
                    }

                    string[] batch = [.. _pending];
                    _pending.Clear();
                    _fetch = FetchAsync(batch, cancellationToken);
                }

                fetch = _fetch;
            }

            await fetch;
        }

        return TryGetLoaded(keys) ?? throw new InvalidOperationException("Entities were asked for but never fetched.");
    }

    private async Task FetchAsync(string[] batch, CancellationToken cancellationToken)
    {
        await Task.Yield(); // start the round trip outside the caller's lock
        var entities = await queries.GetManyAsync(batch, cancellationToken);
        lock (_loaded)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                _loaded[batch[i]] = entities[i];
            }
        }
    }

    private void Enqueue(IEnumerable<string> keys)
    {
        lock (_loaded)
        {
            foreach (var key in keys)
            {
                if (!_loaded.ContainsKey(key))
                {
                    _pending.Add(key);
                }
            }
        }
    }

    private List<CatalogEntity?>? TryGetLoaded(IReadOnlyList<string> keys)
    {
        lock (_loaded)
        {
            var result = new List<CatalogEntity?>(keys.Count);
            foreach (var key in keys)
            {
                if (!_loaded.TryGetValue(key, out var entity))
                {
                    return null;
                }

                result.Add(entity);
            }

            return result;
        }
    }

    private sealed class Pending<T>(Func<CancellationToken, Task<T>> fetch) : IDataLoaderResult<T>
    {
        private Task<T>? _result;

        public Task<T> GetResultAsync(CancellationToken cancellationToken = default) => _result ??= fetch(cancellationToken);

        async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
    }
}
