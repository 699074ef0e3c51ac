using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Model;

namespace Portal.Catalog.Persistence.Writes;

/// <summary>
/// Writes a batch of processed entities for one owner (a location, or the API) in a <see cref="CatalogWrite"/>:
/// inserts the new, rewrites the changed, skips the unchanged (equal hash: no entity, relation or history row is
/// written), refuses refs another owner already has, and deletes (or orphans) what the owner stopped emitting. Every
/// change is noted on the write, which records it when it commits. The write holds the catalog's lock, which is what
/// makes the ownership check exact.
/// </summary>
internal static class CatalogWriter
{
    public static async Task<WriteResult> ApplyAsync(
        CatalogWrite write,
        Guid? locationId,
        IReadOnlyList<ProcessedEntity> entities,
        RemovalMode removal,
        CancellationToken cancellationToken)
    {
        var connection = write.Connection;
        var records = new EntityRecord[entities.Count];
        Parallel.For(0, entities.Count, i => records[i] = EntityRecord.From(entities[i], locationId));

        var existing = await LoadExistingAsync(connection, locationId, records.Select(r => r.Ref).ToArray(), cancellationToken);
        var result = new WriteResult();
        var inserts = new List<(Guid Id, EntityRecord Record)>();
        var updates = new List<(Guid Id, EntityRecord Record)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            seen.Add(record.Ref);
            if (!existing.TryGetValue(record.Ref, out var current))
            {
                var id = Guid.NewGuid();
                inserts.Add((id, record));
                result.Written.Add(record.StoredAs(id));
            }
            else if (current.LocationId != locationId)
            {
                result.Conflicts.Add(new CatalogProblem(ProblemLevel.Error, record.Entity.Source, record.Entity.DocumentIndex, null,
                    $"{record.Ref} is already managed by {(current.LocationId is null ? "the API" : $"location {current.LocationId}")}; "
                    + "the first owner keeps it."));
            }
            else if (current.Hash != record.Hash || current.Orphan)
            {
                updates.Add((current.Id, record));
                result.Written.Add(record.StoredAs(current.Id));
            }
            else
            {
                result.Unchanged++;
                result.Written.Add(record.StoredAs(current.Id));
            }
        }

        // Each change is noted on the write as it is made, so the history and the announcement keep the order of the
        // write: created, updated, then deleted or orphaned.
        if (inserts.Count > 0)
        {
            await CopyEntitiesAsync(connection, "catalog.entities", inserts, locationId, cancellationToken);
            write.Changed(inserts.Select(i => new HistoryEntry(i.Id, i.Record.Ref, "created", [])));
        }

        if (updates.Count > 0)
        {
            var before = await LoadDocumentsAsync(connection, updates.Select(u => u.Id).ToArray(), cancellationToken);
            // With its generated columns as such (document_text): a plain copy of a NOT NULL column would refuse the rows.
            await ExecuteAsync(connection, "CREATE TEMP TABLE incoming (LIKE catalog.entities INCLUDING GENERATED) ON COMMIT DROP", cancellationToken);
            await CopyEntitiesAsync(connection, "incoming", updates, locationId, cancellationToken);
            await ExecuteAsync(connection, """
                UPDATE catalog.entities e SET
                    kind = i.kind, namespace = i.namespace, name = i.name, title = i.title, description = i.description,
                    type = i.type, lifecycle = i.lifecycle, owner_ref = i.owner_ref, system_ref = i.system_ref, tags = i.tags,
                    document = i.document, facts = i.facts, search_text = i.search_text, status_items = i.status_items,
                    etag = i.etag, hash = i.hash, orphan = false, updated_at = i.updated_at
                FROM incoming i WHERE e.id = i.id
                """, cancellationToken);
            await ExecuteAsync(connection, "DELETE FROM catalog.relations WHERE origin_id = ANY(@ids)", cancellationToken,
                ("ids", updates.Select(u => u.Id).ToArray()));
            write.Changed(updates.Select(u => new HistoryEntry(u.Id, u.Record.Ref, "updated",
                before.TryGetValue(u.Id, out var old) ? ChangedFields(old, u.Record.DocumentJson) : [])));
        }

        await CopyRelationsAsync(connection, inserts.Concat(updates), cancellationToken);

        if (removal != RemovalMode.None && locationId is { } owner)
        {
            var gone = existing.Values.Where(e => e.LocationId == owner && !seen.Contains(e.Ref)).ToList();
            if (removal == RemovalMode.Delete)
            {
                await DeleteAsync(write, gone.Select(g => (g.Id, g.Ref)).ToList(), cancellationToken);
                result.Deleted = gone.Count;
            }
            else
            {
                var newlyOrphaned = gone.Where(g => !g.Orphan).ToList();
                // As in Backstage: the annotation is part of the entity, so filters find it
                // (metadata.annotations.backstage.io/orphan=true) and the etag changes with the document.
                await ExecuteAsync(connection, """
                    UPDATE catalog.entities SET orphan = true, updated_at = now(),
                        document = jsonb_set(document, '{metadata,annotations}',
                            coalesce(document #> '{metadata,annotations}', '{}'::jsonb) || '{"backstage.io/orphan":"true"}'::jsonb),
                        facts = facts || '{"metadata.annotations.backstage.io/orphan":["true"]}'::jsonb,
                        etag = left(md5(etag || ':orphan'), 20)
                    WHERE id = ANY(@ids)
                    """, cancellationToken, ("ids", newlyOrphaned.Select(g => g.Id).ToArray()));
                write.Changed(newlyOrphaned.Select(g => new HistoryEntry(g.Id, g.Ref, "orphaned", [])));
                result.Orphaned = newlyOrphaned.Count;
            }
        }

        result.Created = inserts.Count;
        result.Updated = updates.Count;
        return result;
    }

    /// <summary>Deletes entities with the relations they emitted, and notes their deletion on the write.</summary>
    public static async Task DeleteAsync(CatalogWrite write, IReadOnlyList<(Guid Id, string Ref)> entities, CancellationToken cancellationToken)
    {
        if (entities.Count == 0)
        {
            return;
        }

        var ids = entities.Select(e => e.Id).ToArray();
        await ExecuteAsync(write.Connection, "DELETE FROM catalog.relations WHERE origin_id = ANY(@ids)", cancellationToken, ("ids", ids));
        await ExecuteAsync(write.Connection, "DELETE FROM catalog.entities WHERE id = ANY(@ids)", cancellationToken, ("ids", ids));
        write.Changed(entities.Select(e => new HistoryEntry(e.Id, e.Ref, "deleted", [])));
    }

    /// <summary>
    /// Records what a write changed, in its transaction (<see cref="CatalogWrite.CommitAsync"/> calls it): the entities'
    /// history, a new catalog version (cached aggregates such as facets made before it are stale), and
    /// <see cref="Portal.Contracts.Catalog.EntitiesChanged"/> messages in the outbox, which the bus carries to
    /// subscribers once the transaction commits.
    /// </summary>
    internal static async Task RecordChangesAsync(
        NpgsqlConnection connection, IReadOnlyCollection<HistoryEntry> changes, string actor, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }

        await CopyHistoryAsync(connection, changes, actor, cancellationToken);
        await using var bump = new NpgsqlCommand("UPDATE catalog.catalog_state SET version = version + 1 WHERE id = 1 RETURNING version", connection);
        var version = (long)(await bump.ExecuteScalarAsync(cancellationToken))!;
        await ChangeOutbox.WriteAsync(connection, changes, version, cancellationToken);
    }

    private static async Task CopyHistoryAsync(
        NpgsqlConnection connection, IReadOnlyCollection<HistoryEntry> history, string actor, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY catalog.entity_history (entity_id, entity_ref, change, actor, changed_fields, at) FROM STDIN (FORMAT BINARY)",
            cancellationToken);
        foreach (var entry in history)
        {
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(entry.EntityId, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(entry.Ref, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(entry.Change, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(actor, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(entry.ChangedFields, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task<Dictionary<string, ExistingEntity>> LoadExistingAsync(
        NpgsqlConnection connection, Guid? locationId, string[] refs, CancellationToken cancellationToken)
    {
        var existing = new Dictionary<string, ExistingEntity>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("""
            SELECT id, ref, hash, location_id, orphan FROM catalog.entities
            WHERE ref = ANY(@refs) OR (@location::uuid IS NOT NULL AND location_id = @location)
            """, connection);
        command.Parameters.AddWithValue("refs", refs);
        command.Parameters.Add(new NpgsqlParameter("location", NpgsqlDbType.Uuid) { Value = (object?)locationId ?? DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entity = new ExistingEntity(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.GetBoolean(4));
            existing[entity.Ref] = entity;
        }

        return existing;
    }

    private static async Task<Dictionary<Guid, string>> LoadDocumentsAsync(NpgsqlConnection connection, Guid[] ids, CancellationToken cancellationToken)
    {
        var documents = new Dictionary<Guid, string>();
        await using var command = new NpgsqlCommand("SELECT id, document_text FROM catalog.entities WHERE id = ANY(@ids)", connection);
        command.Parameters.AddWithValue("ids", ids);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            documents[reader.GetGuid(0)] = reader.GetString(1);
        }

        return documents;
    }

    private static async Task CopyEntitiesAsync(
        NpgsqlConnection connection, string table, List<(Guid Id, EntityRecord Record)> rows, Guid? locationId, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        await using var importer = await connection.BeginBinaryImportAsync($"""
            COPY {table} (id, ref, kind, namespace, name, title, description, type, lifecycle, owner_ref, system_ref, tags,
                document, facts, search_text, status_items, etag, hash, location_id, orphan, created_at, updated_at)
            FROM STDIN (FORMAT BINARY)
            """, cancellationToken);
        foreach (var (id, record) in rows)
        {
            var entity = record.Entity;
            await importer.StartRowAsync(cancellationToken);
            await importer.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
            await importer.WriteAsync(record.Ref, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(entity.Ref.Kind.ToLowerInvariant(), NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(entity.Ref.Namespace.ToLowerInvariant(), NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(record.Name, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, record.Title, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, record.Description, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, entity.Type, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, entity.Lifecycle, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, entity.Owner?.Canonical, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, entity.System?.Canonical, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(record.Tags, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(record.DocumentJson, NpgsqlDbType.Jsonb, cancellationToken);
            await importer.WriteAsync(record.FactsJson, NpgsqlDbType.Jsonb, cancellationToken);
            await importer.WriteAsync(record.SearchText, NpgsqlDbType.Text, cancellationToken);
            await WriteNullableAsync(importer, record.StatusItemsJson, NpgsqlDbType.Jsonb, cancellationToken);
            await importer.WriteAsync(record.Etag, NpgsqlDbType.Text, cancellationToken);
            await importer.WriteAsync(record.Hash, NpgsqlDbType.Text, cancellationToken);
            if (locationId is { } location)
            {
                await importer.WriteAsync(location, NpgsqlDbType.Uuid, cancellationToken);
            }
            else
            {
                await importer.WriteNullAsync(cancellationToken);
            }

            await importer.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
            await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
            await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task CopyRelationsAsync(
        NpgsqlConnection connection, IEnumerable<(Guid Id, EntityRecord Record)> rows, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY catalog.relations (origin_id, source_ref, type, target_ref) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var (id, record) in rows)
        {
            // One entity may emit the same edge twice (an API both provided and listed twice); the key forbids duplicates.
            foreach (var relation in record.Entity.Relations.Distinct())
            {
                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(id, NpgsqlDbType.Uuid, cancellationToken);
                await importer.WriteAsync(relation.Source.Canonical, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(relation.Type, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(relation.Target.Canonical, NpgsqlDbType.Text, cancellationToken);
            }
        }

        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            await importer.WriteNullAsync(cancellationToken);
        }
        else
        {
            await importer.WriteAsync(value, type, cancellationToken);
        }
    }

    /// <summary>The fields that differ, one level below the root (<c>spec.owner</c>, <c>metadata.tags</c>).</summary>
    internal static string[] ChangedFields(string before, string after)
    {
        var old = JsonNode.Parse(before) as JsonObject ?? [];
        var now = JsonNode.Parse(after) as JsonObject ?? [];
        var changed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var key in old.Select(p => p.Key).Union(now.Select(p => p.Key)))
        {
            var a = old[key];
            var b = now[key];
            if (a is JsonObject ao && b is JsonObject bo)
            {
                foreach (var inner in ao.Select(p => p.Key).Union(bo.Select(p => p.Key)))
                {
                    if (!JsonNode.DeepEquals(ao[inner], bo[inner]))
                    {
                        changed.Add($"{key}.{inner}");
                    }
                }
            }
            else if (!JsonNode.DeepEquals(a, b))
            {
                changed.Add(key);
            }
        }

        return [.. changed];
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private sealed record ExistingEntity(Guid Id, string Ref, string Hash, Guid? LocationId, bool Orphan);
}

internal sealed record HistoryEntry(Guid EntityId, string Ref, string Change, string[] ChangedFields);

internal enum RemovalMode
{
    /// <summary>A partial or failed read: never remove anything.</summary>
    None,
    Delete,
    Orphan,
}




internal sealed class WriteResult
{
    /// <summary>The batch's entities that this owner holds now, in the batch's order; not the conflicts.</summary>
    public List<StoredEntity> Written { get; } = [];

    public int Created { get; set; }

    public int Updated { get; set; }

    public int Unchanged { get; set; }

    public int Deleted { get; set; }

    public int Orphaned { get; set; }

    public List<CatalogProblem> Conflicts { get; } = [];
}
