using Npgsql;

namespace Portal.Benchmarks;

/// <summary>
/// The floors: each measured read written by hand in plain Npgsql against the catalog's tables, answering what the
/// catalog's answer holds (documents, relations, totals) and no more. Portal's figure beside one says what its layers cost.
/// </summary>
internal static class PlainSqlFloors
{
    /// <summary>By ref answers the entity with its relations and a warning per relation whose target is missing: so does this.</summary>
    public static async Task ByRefAsync(NpgsqlDataSource sql, string entityRef)
    {
        await using var command = sql.CreateCommand("""
            SELECT e.document_text, (SELECT string_agg(r.type || ' ' || r.target_ref, E'\n') FROM catalog.relations r WHERE r.source_ref = e.ref),
                (SELECT string_agg(r.type || ' ' || r.target_ref, E'\n') FROM catalog.relations r
                 WHERE r.source_ref = e.ref AND NOT EXISTS (SELECT 1 FROM catalog.entities t WHERE t.ref = r.target_ref))
            FROM catalog.entities e WHERE e.ref = $1
            """);
        command.Parameters.AddWithValue(entityRef);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            _ = reader.GetString(0);
        }
    }

    /// <summary>A page of 20 components of one owner with their relations, and the total.</summary>
    public static async Task PageAsync(NpgsqlDataSource sql, string ownerRef)
    {
        await using var batch = sql.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT e.document_text, (SELECT string_agg(r.type || ' ' || r.target_ref, E'\n') FROM catalog.relations r WHERE r.source_ref = e.ref)
            FROM catalog.entities e WHERE e.kind = 'component' AND e.owner_ref = $1 ORDER BY e.ref LIMIT 21
            """) { Parameters = { new NpgsqlParameter { Value = ownerRef } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT count(*) FROM catalog.entities e WHERE e.kind = 'component' AND e.owner_ref = $1")
        { Parameters = { new NpgsqlParameter { Value = ownerRef } } });
        await ReadAllAsync(batch);
    }

    /// <summary>Type, lifecycle and tag counts of the components.</summary>
    public static async Task FacetsAsync(NpgsqlDataSource sql)
    {
        await using var batch = sql.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT type, count(*) FROM catalog.entities WHERE kind = 'component' GROUP BY type"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT lifecycle, count(*) FROM catalog.entities WHERE kind = 'component' GROUP BY lifecycle"));
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT t, count(*) FROM catalog.entities, unnest(tags) t WHERE kind = 'component' GROUP BY t"));
        await ReadAllAsync(batch);
    }

    /// <summary>The spec.type counts of the components, in value order (Backstage's entity-facets).</summary>
    public static async Task TypeFacetAsync(NpgsqlDataSource sql)
    {
        await using var batch = sql.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT type, count(*) FROM catalog.entities WHERE kind = 'component' AND type IS NOT NULL GROUP BY type ORDER BY type"));
        await ReadAllAsync(batch);
    }

    /// <summary>The documents of a page of 20 entities whose default search text contains the word, and the total.</summary>
    public static async Task FullTextAsync(NpgsqlDataSource sql, string word)
    {
        await using var batch = sql.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            SELECT e.document_text FROM catalog.entities e WHERE e.search_text LIKE $1 ORDER BY e.ref LIMIT 21
            """) { Parameters = { new NpgsqlParameter { Value = $"%{word}%" } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT count(*) FROM catalog.entities e WHERE e.search_text LIKE $1")
        { Parameters = { new NpgsqlParameter { Value = $"%{word}%" } } });
        await ReadAllAsync(batch);
    }

    /// <summary>
    /// A page of 20 entities whose name or title contains the term, with their relations, and the total: Backstage's
    /// full-text read over <c>metadata.name,metadata.title</c>. The trigram-indexed search text (name, title, description,
    /// tags) narrows the rows, as the best hand-written query would.
    /// </summary>
    public static async Task NameOrTitleSearchAsync(NpgsqlDataSource sql, string term)
    {
        const string Match = "e.search_text LIKE $1 AND (lower(e.name) LIKE $1 OR lower(coalesce(e.title, '')) LIKE $1)";
        var pattern = $"%{term.ToLowerInvariant()}%";
        await using var batch = sql.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
            SELECT e.document_text, (SELECT string_agg(r.type || ' ' || r.target_ref, E'\n') FROM catalog.relations r WHERE r.source_ref = e.ref)
            FROM catalog.entities e WHERE {Match} ORDER BY e.ref LIMIT 21
            """) { Parameters = { new NpgsqlParameter { Value = pattern } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT count(*) FROM catalog.entities e WHERE {Match}")
        { Parameters = { new NpgsqlParameter { Value = pattern } } });
        await ReadAllAsync(batch);
    }

    private static async Task ReadAllAsync(NpgsqlBatch batch)
    {
        await using var reader = await batch.ExecuteReaderAsync();
        do
        {
            while (await reader.ReadAsync())
            {
                _ = reader.GetValue(0);
            }
        }
        while (await reader.NextResultAsync());
    }
}
