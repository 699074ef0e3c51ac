using System.Text;
using GraphQL.DataLoader;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>
/// Loads entities by ref for one GraphQL execution, batched: resolvers ask for refs and get a pending result; when the
/// executor has walked a whole level of the response it resolves the pending results, and the first one to run fetches
/// every ref asked for so far in one round trip. A page of 20 components with their owners, systems and APIs costs one
/// query for the page and one per level of relation fields, whatever the page size. Entities are read with only the
/// parts (<see cref="EntityParts"/>) some resolver asked for (<see cref="EntitySelection"/>).
/// </summary>
public sealed class EntityLoader(EntityQueryService queries)
{
    private readonly Dictionary<string, CatalogEntity?> _loaded = new(StringComparer.Ordinal);

    // Refs to fetch in the next batch, with the parts wanted of each; the batch reads the union for all of them.
    private readonly Dictionary<string, EntityParts> _pending = new(StringComparer.Ordinal);
    private Task? _fetch;

    /// <summary>Remembers entities read another way (a page), so relations pointing back at them cost nothing.</summary>
    public void Prime(IReadOnlyCollection<CatalogEntity> entities)
    {
        lock (_loaded)
        {
            _loaded.EnsureCapacity(_loaded.Count + entities.Count);
            foreach (var entity in entities)
            {
                Remember(entity.Ref, entity);
            }
        }
    }

    public IDataLoaderResult<CatalogEntity?> Load(string entityRef, EntityParts parts)
    {
        string[] key = [Key(entityRef)];
        Enqueue(key, parts);

        // Most of a level's results find their entity fetched by the first one: answer those without another await.
        return new Pending<CatalogEntity?>(cancellationToken => TryGetLoaded(key, parts) is { } ready
            ? Task.FromResult(ready[0])
            : LoadOneAsync(key, parts, cancellationToken));
    }

    /// <summary>The entity when it is loaded already with these parts (null when it is known not to exist).</summary>
    public bool TryGet(string entityRef, EntityParts parts, out CatalogEntity? entity)
    {
        lock (_loaded)
        {
            var key = Key(entityRef);
            entity = _loaded.GetValueOrDefault(key);
            return IsLoaded(key, parts);
        }
    }

    // Refs compare as the catalog stores them: trimmed, lower-case. Most come from the catalog already so (a page's
    // owners and systems), and the check is much cheaper than lower-casing a copy.
    private static string Key(string entityRef) =>
        entityRef.Length > 0 && !char.IsWhiteSpace(entityRef[0]) && !char.IsWhiteSpace(entityRef[^1])
            && Ascii.IsValid(entityRef) && !entityRef.AsSpan().ContainsAnyInRange('A', 'Z')
            ? entityRef
            : entityRef.Trim().ToLowerInvariant();

    private async Task<CatalogEntity?> LoadOneAsync(string[] key, EntityParts parts, CancellationToken cancellationToken) =>
        (await GetAsync(key, parts, cancellationToken))[0];

    /// <summary>The entities behind the refs, in order; refs to entities not in the catalog are left out.</summary>
    public IDataLoaderResult<IReadOnlyList<CatalogEntity>> LoadMany(IEnumerable<string> entityRefs, EntityParts parts)
    {
        var keys = entityRefs.Select(Key).ToList();
        Enqueue(keys, parts);
        return new Pending<IReadOnlyList<CatalogEntity>>(async cancellationToken =>
            (await GetAsync(keys, parts, cancellationToken)).OfType<CatalogEntity>().ToList());
    }

    /// <summary>
    /// Runs <paramref name="next"/> on the entity with <paramref name="parts"/>: right away when it was read with them
    /// (so what <paramref name="next"/> loads joins the current batch), else once they are read in the next batch. An
    /// entity deleted in between keeps an empty descriptor and no relations.
    /// </summary>
    public object? With<T>(EntityParts parts, CatalogEntity entity, Func<CatalogEntity, T> next) =>
        entity.Has(parts)
            ? next(entity)
            : Load(entity.Ref, parts | entity.Parts).Then(read => next(read ?? entity with
            {
                Descriptor = entity.Descriptor ?? new EntityDescriptor("{}"u8.ToArray()),
                Relations = entity.Relations ?? [],
            }));

    /// <summary>Entities for refs, with null for misses, in order; one round trip for everything pending.</summary>
    public async Task<IReadOnlyList<CatalogEntity?>> GetAsync(IReadOnlyList<string> keys, EntityParts parts, CancellationToken cancellationToken)
    {
        // At most three passes: a fetch already in flight may have been started before these keys were asked for, and
        // may bring back fewer parts than they need.
        for (var pass = 0; pass < 3; pass++)
        {
            Enqueue(keys, parts);
            Task fetch;
            lock (_loaded)
            {
                if (TryGetLoaded(keys, parts) is { } ready)
                {
                    return ready;
                }

                if (_fetch is null || _fetch.IsCompleted)
                {
                    // Enqueue left these keys pending (they are not loaded), so the batch holds them.
                    string[] batch = [.. _pending.Keys];
                    var batchParts = _pending.Values.Aggregate(EntityParts.Columns, (all, wanted) => all | wanted);
                    _pending.Clear();
                    _fetch = FetchAsync(batch, batchParts, cancellationToken);
                }

                fetch = _fetch;
            }

            await fetch;
        }

        return TryGetLoaded(keys, parts) ?? throw new InvalidOperationException("Entities were asked for but never fetched.");
    }

    private async Task FetchAsync(string[] batch, EntityParts parts, CancellationToken cancellationToken)
    {
        // Starts inside the caller's lock: a loader serves one execution, whose other resolvers at most wait for the
        // query to be sent (no thread-pool hop per batch).
        var entities = await queries.GetManyAsync(batch, parts, cancellationToken);
        lock (_loaded)
        {
            for (var i = 0; i < batch.Length; i++)
            {
                Remember(batch[i], entities[i]);
            }
        }
    }

    /// <summary>Keeps every part read of an entity: a newer read that left out a part keeps the one read before.</summary>
    private void Remember(string key, CatalogEntity? entity)
    {
        _loaded[key] = entity is not null && _loaded.GetValueOrDefault(key) is { } known && !entity.Has(known.Parts)
            ? entity with
            {
                Descriptor = entity.Descriptor ?? known.Descriptor,
                Relations = entity.Relations ?? known.Relations,
                Status = entity.StatusWarnsOfDanglingRelations || !known.StatusWarnsOfDanglingRelations ? entity.Status : known.Status,
                StatusWarnsOfDanglingRelations = entity.StatusWarnsOfDanglingRelations || known.StatusWarnsOfDanglingRelations,
            }
            : entity;
    }

    private void Enqueue(IEnumerable<string> keys, EntityParts parts)
    {
        lock (_loaded)
        {
            foreach (var key in keys)
            {
                if (!IsLoaded(key, parts))
                {
                    // Read again with what is held already too, so the new read replaces the old one whole.
                    var held = _loaded.GetValueOrDefault(key)?.Parts ?? EntityParts.Columns;
                    _pending[key] = _pending.GetValueOrDefault(key) | parts | held;
                }
            }
        }
    }

    private bool IsLoaded(string key, EntityParts parts) =>
        _loaded.TryGetValue(key, out var entity) && (entity is null || entity.Has(parts));

    private List<CatalogEntity?>? TryGetLoaded(IReadOnlyList<string> keys, EntityParts parts)
    {
        lock (_loaded)
        {
            var result = new List<CatalogEntity?>(keys.Count);
            foreach (var key in keys)
            {
                if (!IsLoaded(key, parts))
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
