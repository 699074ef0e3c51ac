using GraphQL.DataLoader;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Graph.Catalog;

/// <summary>
/// Loads entities by ref for one GraphQL execution, batched: resolvers ask for refs and get a pending result; when the
/// executor has walked a whole level of the response it resolves the pending results, and the first one to run fetches
/// every ref asked for so far in one round trip. A page of 20 components with their owners, systems and APIs costs one
/// query for the page and one per level of relation fields, whatever the page size. Entities are read with their
/// relations only when some resolver asked for them that way (<see cref="EntitySelection"/>).
/// </summary>
public sealed class EntityLoader(EntityQueryService queries)
{
    private readonly Dictionary<string, CatalogEntity?> _loaded = new(StringComparer.Ordinal);

    // Refs to fetch in the next batch, and whether any resolver needs that ref's relations.
    private readonly Dictionary<string, bool> _pending = new(StringComparer.Ordinal);
    private Task? _fetch;

    /// <summary>Remembers entities read another way (a page), so relations pointing back at them cost nothing.</summary>
    public void Prime(IEnumerable<CatalogEntity> entities)
    {
        lock (_loaded)
        {
            foreach (var entity in entities)
            {
                Remember(entity.Ref, entity);
            }
        }
    }

    public IDataLoaderResult<CatalogEntity?> Load(string entityRef, bool withRelations)
    {
        var key = entityRef.Trim().ToLowerInvariant();
        Enqueue([key], withRelations);
        return new Pending<CatalogEntity?>(async cancellationToken => (await GetAsync([key], withRelations, cancellationToken))[0]);
    }

    /// <summary>The entities behind the refs, in order; refs to entities not in the catalog are left out.</summary>
    public IDataLoaderResult<IReadOnlyList<CatalogEntity>> LoadMany(IEnumerable<string> entityRefs, bool withRelations)
    {
        var keys = entityRefs.Select(r => r.Trim().ToLowerInvariant()).ToList();
        Enqueue(keys, withRelations);
        return new Pending<IReadOnlyList<CatalogEntity>>(async cancellationToken =>
            (await GetAsync(keys, withRelations, cancellationToken)).OfType<CatalogEntity>().ToList());
    }

    /// <summary>
    /// Runs <paramref name="next"/> on the entity with its relations: right away when it was read with them (so what
    /// <paramref name="next"/> loads joins the current batch), else once they are read in the next batch. An entity
    /// deleted in between keeps no relations.
    /// </summary>
    public object? WithRelations<T>(CatalogEntity entity, Func<CatalogEntity, T> next) =>
        entity.HasRelations
            ? next(entity)
            : Load(entity.Ref, withRelations: true).Then(read => next(read ?? entity with { LoadedRelations = [] }));

    /// <summary>Entities for refs, with null for misses, in order; one round trip for everything pending.</summary>
    public async Task<IReadOnlyList<CatalogEntity?>> GetAsync(IReadOnlyList<string> keys, bool withRelations, CancellationToken cancellationToken)
    {
        Enqueue(keys, withRelations);

        // At most two passes: a fetch already in flight may have been started before these keys were asked for.
        for (var pass = 0; pass < 3; pass++)
        {
            Task fetch;
            lock (_loaded)
            {
                if (TryGetLoaded(keys, withRelations) is { } ready)
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

                    string[] batch = [.. _pending.Keys];
                    var batchWithRelations = _pending.ContainsValue(true);
                    _pending.Clear();
                    _fetch = FetchAsync(batch, batchWithRelations, cancellationToken);
                }

                fetch = _fetch;
            }

            await fetch;
        }

        return TryGetLoaded(keys, withRelations) ?? throw new InvalidOperationException("Entities were asked for but never fetched.");
    }

    private async Task FetchAsync(string[] batch, bool withRelations, CancellationToken cancellationToken)
    {
        await Task.Yield(); // start the round trip outside the caller's lock
        var entities = await queries.GetManyAsync(batch, withRelations, cancellationToken);
        lock (_loaded)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                Remember(batch[i], entities[i]);
            }
        }
    }

    /// <summary>Keeps the fuller read of an entity: one with relations is never replaced by one without.</summary>
    private void Remember(string key, CatalogEntity? entity)
    {
        if (entity is null || !_loaded.TryGetValue(key, out var known) || known is null || !known.HasRelations || entity.HasRelations)
        {
            _loaded[key] = entity;
        }
    }

    private void Enqueue(IEnumerable<string> keys, bool withRelations)
    {
        lock (_loaded)
        {
            foreach (var key in keys)
            {
                if (!IsLoaded(key, withRelations))
                {
                    _pending[key] = withRelations || _pending.GetValueOrDefault(key);
                }
            }
        }
    }

    private bool IsLoaded(string key, bool withRelations) =>
        _loaded.TryGetValue(key, out var entity) && (entity is null || !withRelations || entity.HasRelations);

    private List<CatalogEntity?>? TryGetLoaded(IReadOnlyList<string> keys, bool withRelations)
    {
        lock (_loaded)
        {
            var result = new List<CatalogEntity?>(keys.Count);
            foreach (var key in keys)
            {
                if (!IsLoaded(key, withRelations))
                {
                    return null;
                }

                result.Add(_loaded[key]);
            }

            return result;
        }
    }
}

/// <summary>A result the executor resolves once it has walked a level of the response (the loader's batching point).</summary>
internal sealed class Pending<T>(Func<CancellationToken, Task<T>> fetch) : IDataLoaderResult<T>
{
    private Task<T>? _result;

    public Task<T> GetResultAsync(CancellationToken cancellationToken = default) => _result ??= fetch(cancellationToken);

    async Task<object?> IDataLoaderResult.GetResultAsync(CancellationToken cancellationToken) => await GetResultAsync(cancellationToken);
}

internal static class PendingExtensions
{
    /// <summary>
    /// Continues with the loaded value. When <paramref name="next"/> returns another pending result, the executor
    /// waits for that one in its next batch.
    /// </summary>
    public static IDataLoaderResult<TNext> Then<T, TNext>(this IDataLoaderResult<T> result, Func<T, TNext> next) =>
        new Pending<TNext>(async cancellationToken => next(await result.GetResultAsync(cancellationToken)));
}
