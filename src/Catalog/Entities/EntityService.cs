using System.Text.Json.Nodes;
using Npgsql;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Model;
using Portal.Catalog.Persistence.Writes;

namespace Portal.Catalog.Entities;

/// <summary>
/// The descriptor is invalid; <see cref="Problems"/> name each field and rule. The message (answered as the error's
/// message) names the first <see cref="CatalogLimits.MaxProblemsInMessage"/> and counts the rest.
/// </summary>
public sealed class EntityValidationException(IReadOnlyList<CatalogProblem> problems)
    : Exception(CatalogProblem.Describe(problems))
{
    public IReadOnlyList<CatalogProblem> Problems { get; } = problems;
}

/// <summary>The write collides with the current state: another owner, or a stale etag.</summary>
public sealed class EntityConflictException(string message) : Exception(message);

/// <summary>
/// Writes of entities that no location manages (API-managed): upsert and delete, each guarded by the entity's etag
/// when the caller passes one, and validation of descriptors without storing anything.
/// </summary>
public sealed class EntityService
{
    private readonly CatalogWriteGate _writeGate;
    private readonly DescriptorPipeline _pipeline;

    internal EntityService(CatalogWriteGate writeGate, DescriptorPipeline pipeline)
    {
        _writeGate = writeGate;
        _pipeline = pipeline;
    }

    /// <summary>Validates YAML or JSON (one or more documents) and returns what would be ingested, storing nothing.</summary>
    public DescriptorBatch Validate(string source, string content) => _pipeline.ReadFile(source, content);

    /// <summary>
    /// Creates or replaces an API-managed entity and returns its ref. With <paramref name="expectedEtag"/>, the write
    /// only happens if the stored entity still has that etag (or, for an empty etag, does not exist yet).
    /// </summary>
    public async Task<string> UpsertAsync(JsonObject document, string? expectedEtag, string actor, CancellationToken cancellationToken)
    {
        var batch = _pipeline.ProcessDocument("api", 1, document);
        if (batch.Problems.Count > 0 || batch.Entities.Count != 1)
        {
            throw new EntityValidationException(batch.Problems);
        }

        var entity = batch.Entities[0];
        await using var write = await _writeGate.BeginAsync(actor, cancellationToken);
        var current = await CurrentAsync(write.Connection, entity.Ref.Canonical, cancellationToken);
        if (current is { LocationId: { } location })
        {
            throw new EntityConflictException(
                $"{entity.Ref} is managed by location {location}; change it in that location's files, or unregister the location.");
        }

        CheckEtag(entity.Ref.Canonical, current?.Etag, expectedEtag);
        await CatalogWriter.ApplyAsync(write, null, [entity], RemovalMode.None, cancellationToken);
        await write.CommitAsync(cancellationToken);
        return entity.Ref.Canonical;
    }

    /// <summary>Deletes an API-managed entity. Returns false when no entity has that ref.</summary>
    public async Task<bool> DeleteAsync(string entityRef, string? expectedEtag, string actor, CancellationToken cancellationToken)
    {
        var canonical = EntityRef.Parse(entityRef).Canonical;
        await using var write = await _writeGate.BeginAsync(actor, cancellationToken);
        var current = await CurrentAsync(write.Connection, canonical, cancellationToken);
        if (current is null)
        {
            return false;
        }

        if (current.LocationId is { } location)
        {
            throw new EntityConflictException(
                $"{canonical} is managed by location {location}; remove it from that location's files, or unregister the location.");
        }

        CheckEtag(canonical, current.Etag, expectedEtag);
        await CatalogWriter.DeleteAsync(write, [(current.Id, canonical)], cancellationToken);
        await write.CommitAsync(cancellationToken);
        return true;
    }

    private static void CheckEtag(string entityRef, string? currentEtag, string? expectedEtag)
    {
        if (expectedEtag is null)
        {
            return;
        }

        if ((expectedEtag.Length == 0 && currentEtag is not null) || (expectedEtag.Length > 0 && currentEtag != expectedEtag))
        {
            throw new EntityConflictException(
                $"{entityRef} has changed since it was read (etag {currentEtag ?? "none"}, expected {(expectedEtag.Length == 0 ? "none" : expectedEtag)}); read it again and retry.");
        }
    }

    private static async Task<Current?> CurrentAsync(NpgsqlConnection connection, string entityRef, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT id, etag, location_id FROM catalog.entities WHERE ref = @ref", connection);
        command.Parameters.AddWithValue("ref", entityRef);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new Current(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2))
            : null;
    }

    private sealed record Current(Guid Id, string Etag, Guid? LocationId);
}
