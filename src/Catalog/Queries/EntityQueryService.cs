using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Portal.Catalog.Queries;

public enum GraphDirection
{
    /// <summary>What the entity depends on, transitively (<c>dependsOn</c> edges).</summary>
    Dependencies,

    /// <summary>What depends on the entity, transitively (<c>dependencyOf</c> edges).</summary>
    Dependents,
}

/// <summary>
/// The catalog's read side. Each call is one SQL round trip (a page, its relations and its total count travel
/// together), so callers can batch freely. Plain SQL on purpose: these are the hot paths measured against a
/// plain-Npgsql floor.
/// </summary>
public sealed class EntityQueryService(NpgsqlDataSource dataSource, FullTextIndex fullTextIndex)
{
    private const int MaxCachedFacetQueries = 1_000;

    // The facet cache is bounded by what it holds, not only by its entries: one entry may hold 20 fields of 10,000
    // values each. Past this many values in all it starts again empty, as it does past MaxCachedFacetQueries entries.
    internal const int MaxCachedFacetValues = 1_000_000;

    /// <summary>How many columns an entity takes at the start of a row (a page's sort keys follow them).</summary>
    internal const int EntityColumnCount = 20;

    private const string ColumnsBeforeDocument = """
        e.id, e.ref, e.kind, e.namespace, e.name, e.title, e.description, e.type, e.lifecycle, e.owner_ref, e.system_ref,
        e.etag, e.location_id, e.orphan,
        """;

    private const string ColumnsAfterDocument = ", e.status_items::text, e.created_at, e.updated_at";

    // An entity's relations as "type target" lines, in no order and possibly twice (see ParseRelations); NULL for none.
    // Ordering them here would cost PostgreSQL a sort per row, more than ordering the few lines costs below.
    private const string RelationLines = """string_agg(r.type || ' ' || r.target_ref, E'\n')""";

    private const string RelationsColumn = $"""
        (SELECT {RelationLines} FROM catalog.relations r WHERE r.source_ref = e.ref)
        """;

    // The same lines for the relations whose target names no entity: one index probe per relation of the row.
    private const string DanglingRelationsColumn = $"""
        (SELECT {RelationLines} FROM catalog.relations r
         WHERE r.source_ref = e.ref AND NOT EXISTS (SELECT 1 FROM catalog.entities t WHERE t.ref = r.target_ref))
        """;

    // Every read has the same column positions: a part left out is a typed NULL. One select list per combination of
    // parts, built once (reads ask for them on every request).
    private static readonly string[] ColumnLists = [.. Enumerable.Range(0, (int)(EntityParts.All | EntityParts.DanglingWarnings) + 1)
        .Select(parts => BuildColumns((EntityParts)parts))];

    internal static string ColumnsFor(EntityParts parts) => ColumnLists[(int)parts];

    private static string BuildColumns(EntityParts parts) =>
        ColumnsBeforeDocument + (parts.HasFlag(EntityParts.Document) ? "e.document_text" : "NULL::text") + ColumnsAfterDocument
        + ",\n" + (parts.HasFlag(EntityParts.Relations) ? RelationsColumn : "NULL::text")
        + ",\n" + (parts.HasFlag(EntityParts.DanglingWarnings) ? DanglingRelationsColumn : "NULL::text");

    private static readonly JsonSerializerOptions CursorJson = new(JsonSerializerDefaults.Web);

    // A cursor's JSON nests two levels per level of its filter (an object and its list) and a few around it: deeper
    // JSON is refused as it is read, before the deserializer recurses into it.
    private static readonly JsonSerializerOptions CursorReadJson = new(JsonSerializerDefaults.Web) { MaxDepth = 2 * CatalogLimits.MaxFilterDepth + 8 };

    // The stored columns that hold a ref to another entity, by the reference an include names.
    private static readonly (EntityReferences Reference, string Column)[] ReferenceColumns =
        [(EntityReferences.Owner, "owner_ref"), (EntityReferences.System, "system_ref")];

    // Facets scan every matching row, so they are cached per catalog version: any write bumps the version, and every
    // replica checks it (one indexed single-row read) before answering from its cache.
    private readonly ConcurrentDictionary<string, (long Version, SharedComputation<IReadOnlyDictionary<string, IReadOnlyList<FacetValue>>> Facets)> _facetCache = new();
    private long _cachedFacetValues;

    /// <summary>One entity, with warnings for its relations whose target is not in the catalog (one round trip).</summary>
    public async Task<CatalogEntity?> GetAsync(string entityRef, CancellationToken cancellationToken)
    {
        if (!FilterSql.IsStorable(entityRef))
        {
            return null; // No entity can have such a ref.
        }

        await using var command = dataSource.CreateCommand(
            $"SELECT {ColumnsFor(EntityParts.All | EntityParts.DanglingWarnings)} FROM catalog.entities e WHERE e.ref = @ref");
        command.Parameters.AddWithValue("ref", entityRef.Trim().ToLowerInvariant());
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>One entity by its uid (Backstage's <c>metadata.uid</c>), with the same warnings as <see cref="GetAsync"/>.</summary>
    public async Task<CatalogEntity?> GetByUidAsync(Guid uid, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {ColumnsFor(EntityParts.All | EntityParts.DanglingWarnings)} FROM catalog.entities e WHERE e.id = @id");
        command.Parameters.AddWithValue("id", uid);
        return await ReadOneAsync(command, cancellationToken);
    }

    private static async Task<CatalogEntity?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0, EntityParts.All | EntityParts.DanglingWarnings) : null;
    }

    private static IEnumerable<StatusItem> DanglingWarnings(IEnumerable<RelationView> dangling) => dangling.Select(r => new StatusItem(
        "backstage.io/catalog-processing", "warning", $"Relation {r.Type} points at {r.TargetRef}, which is not in the catalog."));

    /// <summary>Entities by ref, in the order asked, with null for refs that do not exist.</summary>
    public Task<IReadOnlyList<CatalogEntity?>> GetManyAsync(IReadOnlyList<string> refs, CancellationToken cancellationToken) =>
        GetManyAsync(refs, EntityParts.All, cancellationToken);

    /// <summary>Entities by ref, in the order asked, with null for refs that do not exist; only the parts asked for.</summary>
    public async Task<IReadOnlyList<CatalogEntity?>> GetManyAsync(IReadOnlyList<string> refs, EntityParts parts, CancellationToken cancellationToken)
    {
        var lowered = refs.Select(r => r.Trim().ToLowerInvariant()).ToArray();
        var distinct = lowered.Where(FilterSql.IsStorable).Distinct().ToArray();
        if (distinct.Length == 0)
        {
            return lowered.Select(_ => (CatalogEntity?)null).ToList();
        }

        await using var command = dataSource.CreateCommand(distinct.Length == 1
            ? $"SELECT {ColumnsFor(parts)} FROM catalog.entities e WHERE e.ref = $1"
            : $"SELECT {ColumnsFor(parts)} FROM catalog.entities e WHERE e.ref = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = distinct.Length == 1 ? distinct[0] : distinct });
        var found = new Dictionary<string, CatalogEntity>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var entity = Read(reader, 0, parts);
                found[entity.Ref] = entity;
            }
        }

        return lowered.Select(r => found.GetValueOrDefault(r)).ToList();
    }

    public async Task<EntityPage> QueryAsync(EntityQuery query, CancellationToken cancellationToken)
    {
        CursorState? after = null;
        if (query.Cursor is { } cursor)
        {
            after = DecodeCursor(cursor);
            query = query with { Filter = after.Filter, FullText = after.FullText, Order = after.Order, Offset = 0 };
        }
        else
        {
            // Checked here too, not only by the surfaces: a module may call the service directly.
            QueryBounds.Check(query);
        }

        var limit = Math.Clamp(query.Limit, 0, CatalogLimits.MaxPageSize);
        if (query.Offset < 0)
        {
            throw new InvalidQueryException("offset must not be negative.");
        }

        FullTextSnapshot? snapshot = null;
        if (query.FullText is { Term: var term } && !string.IsNullOrWhiteSpace(term))
        {
            snapshot = fullTextIndex.Current;
            if (snapshot is null)
            {
                fullTextIndex.Stale(); // the first search asks for the first snapshot, and is answered by SQL meanwhile
            }
        }

        return await RunQueryAsync(query, after, limit, snapshot, cancellationToken);
    }

    /// <summary>
    /// Runs the page. With a full-text <paramref name="snapshot"/> that can answer the query (a search with no other
    /// condition, in ref order) its matches name the page's rows and give the total, and the catalog's version comes
    /// back with the rows: unless it is the snapshot's, the answer is thrown away and the query runs again as SQL.
    /// </summary>
    private async Task<EntityPage> RunQueryAsync(EntityQuery query, CursorState? after, int limit, FullTextSnapshot? snapshot, CancellationToken cancellationToken)
    {
        var parameters = new List<NpgsqlParameter>();
        var sql = new FilterSql(parameters);
        var where = $"{sql.Translate(query.Filter)} AND {sql.FullText(query.FullText)}"; // validates the search too
        var offset = query.Offset;
        var cursorAfter = after;
        int? snapshotTotal = null;
        if (snapshot is not null && MatchInSnapshot(snapshot, query, after, limit) is { } matched)
        {
            parameters.Clear();
            where = $"e.ref = ANY({FilterSql.AddPositional(parameters, matched.Page.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)})";
            snapshotTotal = matched.Total;
            offset = 0;
            after = null; // the snapshot has applied the cursor and the offset
        }

        var includeTotal = query.IncludeTotal && snapshotTotal is null;
        var whereParameters = parameters.Count; // the count query takes these; sorting and the cursor add more
        var sortExpressions = query.Order.Select(o => $"coalesce({sql.PathText(o.Field)}, '')").ToList();
        var orderBy = string.Join(", ", query.Order.Select((o, i) => $"s{i} {(o.Descending ? "DESC" : "ASC")}").Append("e.ref ASC"));

        var keyset = "TRUE";
        if (after is not null)
        {
            keyset = KeysetCondition(query.Order, sortExpressions, after, parameters);
        }

        var sortColumns = string.Concat(sortExpressions.Select((expression, i) => $", {expression} AS s{i}"));
        var page = new NpgsqlBatchCommand(
            $"SELECT {ColumnsFor(query.Parts)}{sortColumns} FROM catalog.entities e WHERE {where} AND {keyset} ORDER BY {orderBy} LIMIT {limit + 1} OFFSET {offset}");
        foreach (var parameter in parameters)
        {
            page.Parameters.Add(parameter.Clone());
        }

        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(page);
        if (includeTotal)
        {
            var count = new NpgsqlBatchCommand($"SELECT count(*) FROM catalog.entities e WHERE {where}");
            foreach (var parameter in parameters.Take(whereParameters))
            {
                count.Parameters.Add(parameter.Clone());
            }

            batch.BatchCommands.Add(count);
        }

        if (query.Include is { References: not EntityReferences.None } include)
        {
            // The page's rows again (an index range the page query has just warmed), for the refs they hold.
            var refColumns = string.Join(", ", ReferenceColumns.Where(c => include.References.HasFlag(c.Reference)).Select(c => "p." + c.Column));
            var related = new NpgsqlBatchCommand($"""
                SELECT {ColumnsFor(include.Parts)} FROM catalog.entities e WHERE e.ref IN (
                    SELECT unnest(ARRAY[{refColumns}]) FROM (
                        SELECT e.owner_ref, e.system_ref{sortColumns} FROM catalog.entities e
                        WHERE {where} AND {keyset} ORDER BY {orderBy} LIMIT {limit} OFFSET {offset}) p)
                """);
            foreach (var parameter in parameters)
            {
                related.Parameters.Add(parameter.Clone());
            }

            batch.BatchCommands.Add(related);
        }

        if (snapshotTotal is not null)
        {
            // Last: its statement sees the database no earlier than the page's did, so if no write has bumped the
            // version by then, none had when the page was read, and the page is of the snapshot's version.
            batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT version FROM catalog.catalog_state WHERE id = 1"));
        }

        var items = new List<CatalogEntity>(limit);
        var relatedItems = new List<CatalogEntity>();
        var itemKeys = new List<List<string>>(limit);
        var hasMore = false;
        var stale = false;
        int? total = null;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (items.Count == limit)
                {
                    hasMore = true;
                    continue;
                }

                items.Add(Read(reader, 0, query.Parts));
                itemKeys.Add(Enumerable.Range(0, query.Order.Count).Select(i => reader.GetString(EntityColumnCount + i)).ToList());
            }

            if (includeTotal && await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken))
            {
                total = (int)reader.GetInt64(0);
            }

            if (query.Include is { References: not EntityReferences.None } included && await reader.NextResultAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    relatedItems.Add(Read(reader, 0, included.Parts));
                }
            }

            if (snapshotTotal is not null)
            {
                var version = await reader.NextResultAsync(cancellationToken) && await reader.ReadAsync(cancellationToken) ? reader.GetInt64(0) : -1;
                if (version != snapshot!.Version)
                {
                    fullTextIndex.Stale(version);
                    stale = true;
                }
            }
        }

        if (stale)
        {
            // The catalog has moved on since the snapshot: answered as SQL, exactly, while a new one is built.
            return await RunQueryAsync(query, cursorAfter, limit, null, cancellationToken);
        }

        if (snapshotTotal is not null)
        {
            total = query.IncludeTotal ? snapshotTotal : null;
            fullTextIndex.Answered();
        }

        string CursorAfter(int i) => EncodeCursor(new CursorState(query.Filter, query.FullText, query.Order, itemKeys[i], items[i].Ref));
        return new EntityPage(items, total, hasMore) { CursorFactory = CursorAfter, Related = relatedItems };
    }

    /// <summary>
    /// The page's refs and the total from the snapshot, when it can answer the query: a full-text search with no other
    /// condition and no order but ref's (what the search box asks), over fields the snapshot holds; null otherwise.
    /// </summary>
    private static (int Total, List<string> Page)? MatchInSnapshot(FullTextSnapshot snapshot, EntityQuery query, CursorState? after, int limit)
    {
        if (query.Filter is not null || query.Order.Count > 0 || query.FullText is not { } fullText || string.IsNullOrWhiteSpace(fullText.Term))
        {
            return null;
        }

        int[]? fields = null;
        if (fullText.Fields is { Count: > 0 } named)
        {
            fields = new int[named.Count];
            for (var i = 0; i < named.Count; i++)
            {
                fields[i] = Array.IndexOf(FullTextSnapshot.Fields, named[i].ToLowerInvariant());
                if (fields[i] < 0)
                {
                    return null;
                }
            }
        }

        var afterSlot = -1;
        if (after is not null && !snapshot.TryGetSlot(after.LastRef, out afterSlot))
        {
            return null; // the cursor's last entity is not in this version: SQL places it
        }

        return snapshot.Match(fullText.Term.Trim().ToLowerInvariant(), fields, afterSlot, query.Offset, limit + 1);
    }

    /// <summary>
    /// Value counts per field over the entities the filter matches; values as written, most frequent first, or with
    /// <see cref="FacetOrder.ByValue"/> in the database's order of the values (Backstage's order).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<FacetValue>>> FacetsAsync(
        IReadOnlyList<string> fields, EntityFilter? filter, CancellationToken cancellationToken, FacetOrder order = FacetOrder.ByCount)
    {
        if (fields.Count is 0 or > CatalogLimits.MaxFacetFields)
        {
            throw new InvalidQueryException($"Ask for between 1 and {CatalogLimits.MaxFacetFields} facets.");
        }

        foreach (var field in fields)
        {
            QueryBounds.Path(field, "A facet field");
            FilterSql.RequireText(field, () => "A facet field");
        }

        // Before the filter is serialized for the cache key: that walks it too.
        QueryBounds.CheckFilter(filter);
        var cacheKey = JsonSerializer.Serialize(new { fields, filter, order }, CursorJson);
        var version = await CatalogVersionAsync(cancellationToken);

        // A computation abandoned by every caller of its moment (they timed out) is replaced by the next caller; at
        // most twice, since each replacement is this caller's own.
        for (var attempt = 0; ; attempt++)
        {
            if (!_facetCache.TryGetValue(cacheKey, out var entry) || entry.Version != version || entry.Facets.Abandoned)
            {
                if (_facetCache.Count >= MaxCachedFacetQueries)
                {
                    _facetCache.Clear();
                    Interlocked.Exchange(ref _cachedFacetValues, 0);
                }

                // One computation per query and version, however many callers miss the cache at once: without it, every
                // concurrent caller would scan the catalog (a thundering herd right after each write).
                var computation = new SharedComputation<IReadOnlyDictionary<string, IReadOnlyList<FacetValue>>>(
                    async cancel => Weigh(await ComputeFacetsAsync(fields, filter, order, cancel)));
                entry = _facetCache.AddOrUpdate(cacheKey, (version, computation),
                    (_, existing) => existing.Version >= version && !existing.Facets.Abandoned ? existing : (version, computation));
            }

            if (!entry.Facets.TryJoin(cancellationToken, out var facets))
            {
                _facetCache.TryRemove(KeyValuePair.Create(cacheKey, entry));
                if (attempt < 2)
                {
                    continue;
                }

                // Abandoned a third time under this caller: it computes its own answer, shared with nobody.
                return await ComputeFacetsAsync(fields, filter, order, cancellationToken);
            }

            try
            {
                return await facets;
            }
            catch (Exception) when (entry.Facets.Faulted || entry.Facets.Abandoned)
            {
                // A failed or abandoned computation is not remembered: the next caller tries again.
                _facetCache.TryRemove(KeyValuePair.Create(cacheKey, entry));
                throw;
            }
        }
    }

    /// <summary>Counts a computed answer into the cache's total; past <see cref="MaxCachedFacetValues"/> the cache starts again.</summary>
    private IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> Weigh(IReadOnlyDictionary<string, IReadOnlyList<FacetValue>> facets)
    {
        var values = facets.Values.Sum(list => (long)list.Count);
        if (Interlocked.Add(ref _cachedFacetValues, values) > MaxCachedFacetValues)
        {
            // Entries already replaced or cleared are still counted until now: the bound is only ever reached early.
            _facetCache.Clear();
            Interlocked.Exchange(ref _cachedFacetValues, values);
        }

        return facets;
    }

    /// <summary>The counter every catalog write bumps.</summary>
    public async Task<long> CatalogVersionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT version FROM catalog.catalog_state WHERE id = 1");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<IReadOnlyDictionary<string, IReadOnlyList<FacetValue>>> ComputeFacetsAsync(
        IReadOnlyList<string> fields, EntityFilter? filter, FacetOrder order, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var field in fields)
        {
            var parameters = new List<NpgsqlParameter>();
            var sql = new FilterSql(parameters);
            var where = sql.Translate(filter);
            var source = FacetSource(field, parameters);
            var command = new NpgsqlBatchCommand($"""
                SELECT v, count(*) FROM (SELECT {source} AS v FROM catalog.entities e WHERE {where}) s
                WHERE v IS NOT NULL GROUP BY v ORDER BY {(order == FacetOrder.ByValue ? "v" : "count(*) DESC, v")} LIMIT {CatalogLimits.MaxFacetValues}
                """);
            command.Parameters.AddRange(parameters.ToArray());
            batch.BatchCommands.Add(command);
        }

        var facets = new Dictionary<string, IReadOnlyList<FacetValue>>(StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        foreach (var field in fields)
        {
            var values = new List<FacetValue>();
            while (await reader.ReadAsync(cancellationToken))
            {
                values.Add(new FacetValue(reader.GetString(0), (int)reader.GetInt64(1)));
            }

            facets[field] = values;
            await reader.NextResultAsync(cancellationToken);
        }

        return facets;
    }

    /// <summary>Refs reachable over dependsOn (or dependencyOf) edges within <paramref name="depth"/> steps, nearest first.</summary>
    public async Task<IReadOnlyList<(string Ref, int Depth)>> GraphAsync(
        string entityRef, GraphDirection direction, int depth, CancellationToken cancellationToken, int limit = 10_000)
    {
        if (!FilterSql.IsStorable(entityRef))
        {
            return [];
        }

        depth = Math.Clamp(depth, 1, CatalogLimits.MaxGraphDepth);
        limit = Math.Clamp(limit, 1, 10_000);
        await using var command = dataSource.CreateCommand("""
            WITH RECURSIVE walk(ref, depth) AS (
                SELECT @ref::text, 0
                UNION
                SELECT r.target_ref, w.depth + 1 FROM walk w
                JOIN catalog.relations r ON r.source_ref = w.ref AND r.type = @type
                WHERE w.depth < @depth
            )
            SELECT ref, min(depth) FROM walk WHERE ref <> @ref GROUP BY ref ORDER BY min(depth), ref LIMIT @limit
            """);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("ref", entityRef.Trim().ToLowerInvariant());
        command.Parameters.AddWithValue("type", direction == GraphDirection.Dependencies ? "dependsOn" : "dependencyOf");
        command.Parameters.AddWithValue("depth", depth);
        var result = new List<(string, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add((reader.GetString(0), reader.GetInt32(1)));
        }

        return result;
    }

    /// <summary>The recorded changes of an entity, newest first.</summary>
    public async Task<IReadOnlyList<HistoryItem>> HistoryAsync(string entityRef, int limit, CancellationToken cancellationToken)
    {
        if (!FilterSql.IsStorable(entityRef))
        {
            return [];
        }

        await using var command = dataSource.CreateCommand("""
            SELECT id, change, actor, changed_fields, at FROM catalog.entity_history
            WHERE entity_ref = @ref ORDER BY id DESC LIMIT @limit
            """);
        command.Parameters.AddWithValue("ref", entityRef.Trim().ToLowerInvariant());
        command.Parameters.AddWithValue("limit", Math.Clamp(limit, 1, CatalogLimits.MaxHistoryItems));
        var items = new List<HistoryItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new HistoryItem(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                reader.GetFieldValue<string[]>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return items;
    }

    private static string FacetSource(string field, List<NpgsqlParameter> parameters)
    {
        switch (field.ToLowerInvariant())
        {
            case "kind":
                return "e.document ->> 'kind'";
            case "metadata.namespace":
                return "e.namespace";
            case "spec.type":
                return "e.type";
            case "spec.lifecycle":
                return "e.lifecycle";
            case "metadata.tags":
                return "unnest(e.tags)";
        }

        // Any other path: every primitive value under it, through arrays (lax mode unwraps them).
        var path = new StringBuilder("lax $");
        foreach (var segment in FilterSql.SplitPath(field))
        {
            path.Append(".\"").Append(segment.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }

        path.Append("[*] ? (@.type() == \"string\" || @.type() == \"number\" || @.type() == \"boolean\")");
        return $"jsonb_path_query(e.document, {FilterSql.AddPositional(parameters, path.ToString(), NpgsqlDbType.JsonPath)}) #>> '{{}}'";
    }

    private static string KeysetCondition(
        IReadOnlyList<EntityOrder> order, List<string> expressions, CursorState after, List<NpgsqlParameter> parameters)
    {
        string Add(string value) => FilterSql.AddPositional(parameters, value, NpgsqlDbType.Text);

        // (s0 > k0) OR (s0 = k0 AND s1 > k1) OR ... OR (all equal AND ref > lastRef), with < for descending fields.
        var alternatives = new List<string>();
        var equalSoFar = new List<string>();
        for (var i = 0; i < order.Count; i++)
        {
            var key = Add(after.Keys[i]);
            alternatives.Add("(" + string.Join(" AND ", equalSoFar.Append($"{expressions[i]} {(order[i].Descending ? "<" : ">")} {key}")) + ")");
            equalSoFar.Add($"{expressions[i]} = {key}");
        }

        alternatives.Add("(" + string.Join(" AND ", equalSoFar.Append($"e.ref > {Add(after.LastRef)}")) + ")");
        return "(" + string.Join(" OR ", alternatives) + ")";
    }

    private static CatalogEntity Read(NpgsqlDataReader reader, int offset, EntityParts parts = EntityParts.All)
    {
        // Columns in the order of the select list: the reader walks the row forwards, never back.
        string? Text(int column) => reader.IsDBNull(offset + column) ? null : reader.GetString(offset + column);
        var uid = reader.GetGuid(offset);
        var entityRef = reader.GetString(offset + 1);
        var kind = reader.GetString(offset + 2);
        var @namespace = reader.GetString(offset + 3);
        var name = reader.GetString(offset + 4);
        var title = Text(5);
        var description = Text(6);
        var type = Text(7);
        var lifecycle = Text(8);
        var owner = Text(9);
        var system = Text(10);
        var etag = reader.GetString(offset + 11);
        Guid? location = reader.IsDBNull(offset + 12) ? null : reader.GetGuid(offset + 12);
        var orphan = reader.GetBoolean(offset + 13);
        var document = reader.IsDBNull(offset + 14) ? null : reader.GetFieldValue<byte[]>(offset + 14); // UTF-8, as sent
        var statusJson = Text(15);
        var createdAt = reader.GetFieldValue<DateTimeOffset>(offset + 16);
        var updatedAt = reader.GetFieldValue<DateTimeOffset>(offset + 17);

        // A NULL aggregate means no relations when they were read, and unknown when they were left out.
        var relationLines = Text(18);
        IReadOnlyList<RelationView>? relations = relationLines is not null ? ParseRelations(relationLines)
            : parts.HasFlag(EntityParts.Relations) ? []
            : null;
        IReadOnlyList<StatusItem> status = statusJson is null or "[]"
            ? []
            : JsonSerializer.Deserialize<List<StatusItem>>(statusJson, CursorJson) ?? [];
        if (Text(19) is { } danglingLines)
        {
            status = [.. status, .. DanglingWarnings(ParseRelations(danglingLines))];
        }

        return new CatalogEntity(
            uid, entityRef, kind, @namespace, name, title, description, type, lifecycle, owner, system, etag, location, orphan,
            status, createdAt, updatedAt)
        {
            Descriptor = document is null ? null : new EntityDescriptor(document),
            Relations = relations,
            StatusWarnsOfDanglingRelations = parts.HasFlag(EntityParts.DanglingWarnings),
        };
    }

    /// <summary>
    /// Reads the <c>type target</c> lines of <see cref="RelationLines"/>. Two entities can emit the same edge (A
    /// dependsOn B, and B's dependencyOf A): it is shown once, and all in ordinal order, so a client sees a stable list.
    /// </summary>
    private static List<RelationView> ParseRelations(string lines)
    {
        var ranges = new List<Range>();
        foreach (var range in lines.AsSpan().Split('\n'))
        {
            ranges.Add(range);
        }

        ranges.Sort((a, b) => lines.AsSpan(a).SequenceCompareTo(lines.AsSpan(b)));
        var relations = new List<RelationView>(ranges.Count);
        for (var i = 0; i < ranges.Count; i++)
        {
            var line = lines.AsSpan(ranges[i]);
            if (i > 0 && line.SequenceEqual(lines.AsSpan(ranges[i - 1])))
            {
                continue;
            }

            var space = line.IndexOf(' ');
            relations.Add(new RelationView(line[..space].ToString(), line[(space + 1)..].ToString()));
        }

        return relations;
    }

    private static string EncodeCursor(CursorState state) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(state, CursorJson));

    /// <summary>
    /// The state a cursor carries, held to the same limits as a fresh request: a cursor is only base64url JSON, and a
    /// client can write one with any filter, search and order. Whatever is wrong with it, the client is told to pass
    /// back a cursor the catalog made, and what it asked for beyond the limits.
    /// </summary>
    private static CursorState DecodeCursor(string cursor)
    {
        const string Malformed = "The cursor is malformed; pass back the nextCursor of a previous page unchanged.";
        if (cursor.Length > CatalogLimits.MaxCursorLength)
        {
            throw new InvalidQueryException($"{Malformed} It is {cursor.Length} characters long; at most {CatalogLimits.MaxCursorLength}.");
        }

        CursorState? state;
        try
        {
            state = JsonSerializer.Deserialize<CursorState>(Base64Url.DecodeFromChars(cursor), CursorReadJson);
        }
        catch (Exception exception) when (exception is FormatException or JsonException or NotSupportedException)
        {
            throw new InvalidQueryException(Malformed);
        }

        if (state is null || state.Keys is null || state.LastRef is null || state.Order is null
            || state.Keys.Count != state.Order.Count
            || state.LastRef.Length > CatalogLimits.MaxRefLength
            || !state.Keys.Append(state.LastRef).All(key => key is not null && FilterSql.IsStorable(key)))
        {
            throw new InvalidQueryException(Malformed);
        }

        try
        {
            QueryBounds.Check(new EntityQuery { Filter = state.Filter, FullText = state.FullText, Order = state.Order });
        }
        catch (InvalidQueryException exception)
        {
            throw new InvalidQueryException($"{Malformed} It asks for more than a request may: {exception.Message}");
        }

        return state;
    }

    private sealed record CursorState(EntityFilter? Filter, FullTextFilter? FullText, IReadOnlyList<EntityOrder> Order, IReadOnlyList<string> Keys, string LastRef);
}
