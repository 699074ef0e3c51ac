using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Messaging;
using Portal.Catalog.Model;
using Portal.Catalog.Persistence;
using Portal.Catalog.Persistence.Writes;
using Portal.Contracts.Catalog;

namespace Portal.Catalog.Locations;

/// <summary>A registered location as callers see it.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Type"><c>file</c>, <c>url</c> or <c>git</c>.</param>
/// <param name="Target">The path or URL it reads.</param>
/// <param name="RefreshedAt">When it was last read; null before the first read.</param>
/// <param name="Problems">The first <see cref="CatalogLimits.MaxProblemsReported"/> problems of the last read: all a
/// location keeps.</param>
/// <param name="ProblemCount">How many problems the last read had.</param>
public sealed record LocationInfo(
    Guid Id, string Type, string Target, DateTimeOffset? RefreshedAt, IReadOnlyList<CatalogProblem> Problems, int ProblemCount);

/// <summary>What a registration or refresh did.</summary>
/// <param name="Location">The location, as it stands after the write.</param>
/// <param name="EntityRefs">The refs of every entity the location emits.</param>
/// <param name="Entities">The entities it holds now, as written (ids and etags included): what a caller answers with,
/// without reading them back. An entity another owner keeps is in <paramref name="EntityRefs"/> and not here.</param>
/// <param name="Problems">What went wrong reading, processing or writing, per file and field: all of it (the
/// location keeps the first <see cref="CatalogLimits.MaxProblemsReported"/>; an answer lists no more).</param>
/// <param name="Created">Entities created.</param>
/// <param name="Updated">Entities rewritten because they changed.</param>
/// <param name="Unchanged">Entities left as they were.</param>
/// <param name="Removed">Entities deleted or orphaned because the location stopped emitting them.</param>
public sealed record LocationOutcome(
    LocationInfo Location,
    IReadOnlyList<string> EntityRefs,
    IReadOnlyList<StoredEntity> Entities,
    IReadOnlyList<CatalogProblem> Problems,
    int Created,
    int Updated,
    int Unchanged,
    int Removed);

/// <summary>What refreshing an entity did: its location's <see cref="Outcome"/>, or why there was nothing to refresh.</summary>
public sealed record EntityRefresh(EntityRefreshResult Result, LocationOutcome? Outcome = null);

public enum EntityRefreshResult
{
    /// <summary>The location that manages the entity was read again (<see cref="EntityRefresh.Outcome"/>).</summary>
    Refreshed,

    /// <summary>No entity has the ref.</summary>
    NoSuchEntity,

    /// <summary>The entity was written through the API: no location manages it.</summary>
    ApiManaged,

    /// <summary>Its location was unregistered between finding the entity and refreshing.</summary>
    LocationGone,
}

/// <summary>What registering a target would ingest; <see cref="Existing"/> is set when it is registered already.</summary>
public sealed record LocationPreview(
    string Type,
    string Target,
    LocationInfo? Existing,
    IReadOnlyList<ProcessedEntity> Entities,
    IReadOnlyList<CatalogProblem> Problems);

/// <summary>The target is already registered.</summary>
public sealed class LocationConflictException(string message) : Exception(message);

/// <summary>
/// Registers, refreshes and unregisters locations. A refresh reads every file the target pulls in (Location entities
/// included), processes each document, and writes the result in one transaction, so a registered location's entities
/// are queryable the moment the call returns. A read that failed anywhere never removes an entity.
/// </summary>
public sealed class LocationService
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly CatalogWriteGate _writeGate;
    private readonly DescriptorPipeline _pipeline;
    private readonly Dictionary<string, ILocationTargetReader> _readers;
    private readonly IOptions<CatalogOptions> _options;
    private readonly ILogger<LocationService> _logger;

    internal LocationService(
        NpgsqlDataSource dataSource,
        CatalogWriteGate writeGate,
        DescriptorPipeline pipeline,
        IEnumerable<ILocationTargetReader> readers,
        IOptions<CatalogOptions> options,
        ILogger<LocationService> logger)
    {
        _dataSource = dataSource;
        _writeGate = writeGate;
        _pipeline = pipeline;
        _readers = readers.ToDictionary(r => r.Type, StringComparer.Ordinal);
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// Registers a target and ingests it. Throws <see cref="LocationForbiddenException"/> for a target the configuration
    /// refuses, <see cref="LocationReadException"/> when the target itself cannot be read, and
    /// <see cref="LocationConflictException"/> when it is registered already (the locations' unique index decides, so
    /// two replicas registering the same target at once cannot both succeed).
    /// </summary>
    public async Task<LocationOutcome> RegisterAsync(string type, string target, CancellationToken cancellationToken) =>
        await RegisterAsync(type, target, null, null, cancellationToken)
        ?? throw new InvalidOperationException("A registration without a claim always happens.");

    /// <summary>
    /// <see cref="RegisterAsync(string, string, CancellationToken)"/> for a bus command: the command is claimed in the
    /// catalog's inbox and <see cref="LocationRegistered"/> written to its outbox, both in the registration's
    /// transaction. Null when the command was applied already (nothing is written then).
    /// </summary>
    internal async Task<LocationOutcome?> RegisterAsync(
        string type, string target, InboxClaim? claim, string? actor, CancellationToken cancellationToken)
    {
        target = await Reader(type).ValidateAsync(target, cancellationToken);
        var read = await ReadAsync(type, target, cancellationToken);
        if (read.RootUnreadable is { } rootError)
        {
            throw new LocationReadException(rootError.Message);
        }

        var location = new LocationInfo(Guid.NewGuid(), type, target, DateTimeOffset.UtcNow, [], 0);
        LocationOutcome? outcome = null;
        await using (var write = await _writeGate.BeginAsync(actor ?? Actor(location), cancellationToken))
        {
            if (claim is not null && !await claim.TryAsync(write.Connection, cancellationToken))
            {
                return null;
            }

            if (await TryInsertAsync(write.Connection, location, cancellationToken))
            {
                outcome = await WriteAsync(write, location, read, cancellationToken);
                if (claim is not null)
                {
                    await CatalogDbContext.Outbox.WriteAsync(write.Connection, new LocationRegistered(
                        claim.MessageId, location.Id, type, target, outcome.EntityRefs, AlreadyRegistered: false), cancellationToken);
                }

                await write.CommitAsync(cancellationToken);
            }
        }

        if (outcome is null)
        {
            // The write rolled back (the violation failed its transaction); the registered location is read outside it.
            var existing = await FindAsync(type, target, cancellationToken);
            throw new LocationConflictException($"Location {type}:{target} is already registered{(existing is null ? "" : $" (id {existing.Id})")}.");
        }

        _logger.LogInformation("Registered location {Type}:{Target}: {Created} created, {Problems} problem(s)",
            type, target, outcome.Created, outcome.Problems.Count);
        return outcome;
    }

    /// <summary>
    /// Answers a bus command whose target is registered already, or cannot be registered: claims it in the inbox and
    /// writes the answer to the outbox, in one transaction; nothing if the command was answered before.
    /// </summary>
    internal async Task AnswerAsync(InboxClaim claim, RegisterLocation command, string? failure, CancellationToken cancellationToken)
    {
        var existing = failure is null
            ? await FindAsync(command.Type, await Reader(command.Type).ValidateAsync(command.Target, cancellationToken), cancellationToken)
            : null;
        await using var write = await _writeGate.BeginAsync(command.RequestedBy ?? "bus", cancellationToken);
        if (!await claim.TryAsync(write.Connection, cancellationToken))
        {
            return;
        }

        if (existing is null)
        {
            await CatalogDbContext.Outbox.WriteAsync(write.Connection, new LocationRegistrationFailed(
                claim.MessageId, command.Type, command.Target, failure ?? "The location was unregistered while it was being registered."), cancellationToken);
        }
        else
        {
            var refs = new List<string>();
            await using (var select = new NpgsqlCommand("SELECT ref FROM catalog.entities WHERE location_id = @id ORDER BY ref", write.Connection))
            {
                select.Parameters.AddWithValue("id", existing.Id);
                await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    refs.Add(reader.GetString(0));
                }
            }

            await CatalogDbContext.Outbox.WriteAsync(write.Connection, new LocationRegistered(
                claim.MessageId, existing.Id, existing.Type, existing.Target, refs, AlreadyRegistered: true), cancellationToken);
        }

        await write.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The dry run of a registration: reads and validates a target without storing anything, whether or not it is
    /// registered already (<see cref="LocationPreview.Existing"/> says which, as Backstage's dry run answers
    /// <c>exists</c>). Throws as <see cref="RegisterAsync(string, string, CancellationToken)"/> does, except for the conflict.
    /// </summary>
    public async Task<LocationPreview> PreviewAsync(string type, string target, CancellationToken cancellationToken)
    {
        target = await Reader(type).ValidateAsync(target, cancellationToken);
        var existing = await FindAsync(type, target, cancellationToken);
        var read = await ReadAsync(type, target, cancellationToken);
        if (read.RootUnreadable is { } rootError)
        {
            throw new LocationReadException(rootError.Message);
        }

        return new LocationPreview(type, target, existing, read.Entities, read.Problems);
    }

    /// <summary>Reads the location again and applies what changed. Returns null for an unknown id.</summary>
    public async Task<LocationOutcome?> RefreshAsync(Guid id, CancellationToken cancellationToken)
    {
        var location = await GetAsync(id, cancellationToken);
        if (location is null)
        {
            return null;
        }

        var read = await ReadAsync(location.Type, location.Target, cancellationToken);
        await using var write = await _writeGate.BeginAsync(Actor(location), cancellationToken);
        var connection = write.Connection;

        // The read took a while: if the location was unregistered meanwhile, writing would bring its entities back
        // with no location to remove them. BeginAsync took the catalog's write lock, which unregistering takes too, so
        // the check holds until commit.
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM catalog.locations WHERE id = @id", connection))
        {
            exists.Parameters.AddWithValue("id", id);
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                return null;
            }
        }

        var outcome = await WriteAsync(write, location, read, cancellationToken);
        await write.CommitAsync(cancellationToken);
        return outcome;
    }

    /// <summary>
    /// Refreshes the location that manages the entity <paramref name="entityRef"/> (a ref as the catalog stores it).
    /// The GraphQL mutation and the REST route answer the results differently (Backstage's route accepts an
    /// API-managed entity and does nothing), so this says what happened and leaves the answer to them.
    /// </summary>
    public async Task<EntityRefresh> RefreshEntityAsync(string entityRef, CancellationToken cancellationToken)
    {
        Guid? locationId;
        await using (var command = _dataSource.CreateCommand("SELECT location_id FROM catalog.entities WHERE ref = @ref"))
        {
            command.Parameters.AddWithValue("ref", entityRef);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return new EntityRefresh(EntityRefreshResult.NoSuchEntity);
            }

            locationId = reader.IsDBNull(0) ? null : reader.GetGuid(0);
        }

        if (locationId is not { } id)
        {
            return new EntityRefresh(EntityRefreshResult.ApiManaged);
        }

        return await RefreshAsync(id, cancellationToken) is { } outcome
            ? new EntityRefresh(EntityRefreshResult.Refreshed, outcome)
            : new EntityRefresh(EntityRefreshResult.LocationGone);
    }

    /// <summary>Removes the location and every entity it manages. Returns false for an unknown id.</summary>
    public async Task<bool> UnregisterAsync(Guid id, CancellationToken cancellationToken)
    {
        var location = await GetAsync(id, cancellationToken);
        if (location is null)
        {
            return false;
        }

        await using var write = await _writeGate.BeginAsync(Actor(location), cancellationToken);
        var connection = write.Connection;

        // Under the write lock: a location unregistered meanwhile (by another replica) is gone here too.
        await using (var delete = new NpgsqlCommand("DELETE FROM catalog.locations WHERE id = @id", connection))
        {
            delete.Parameters.AddWithValue("id", id);
            if (await delete.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        var owned = new List<(Guid Id, string Ref)>();
        await using (var select = new NpgsqlCommand("SELECT id, ref FROM catalog.entities WHERE location_id = @id", connection))
        {
            select.Parameters.AddWithValue("id", id);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                owned.Add((reader.GetGuid(0), reader.GetString(1)));
            }
        }

        await CatalogWriter.DeleteAsync(write, owned, cancellationToken);
        await write.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<LocationInfo>> ListAsync(CancellationToken cancellationToken) =>
        await SelectAsync("", cancellationToken);

    public async Task<LocationInfo?> GetAsync(Guid id, CancellationToken cancellationToken) =>
        (await SelectAsync("WHERE id = @id", cancellationToken, ("id", id))).FirstOrDefault();

    /// <summary>Inserts the location row; false when the target is registered already (the unique index).</summary>
    private static async Task<bool> TryInsertAsync(NpgsqlConnection connection, LocationInfo location, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            "INSERT INTO catalog.locations (id, type, target, created_at) VALUES (@id, @type, @target, now())", connection);
        insert.Parameters.AddWithValue("id", location.Id);
        insert.Parameters.AddWithValue("type", location.Type);
        insert.Parameters.AddWithValue("target", location.Target);
        try
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>The location registered for a target, if any (one index lookup).</summary>
    private async Task<LocationInfo?> FindAsync(string type, string target, CancellationToken cancellationToken) =>
        (await SelectAsync("WHERE type = @type AND target = @target", cancellationToken, ("type", type), ("target", target))).FirstOrDefault();

    /// <summary>How the entities' history names a location's writes.</summary>
    private static string Actor(LocationInfo location) => $"location:{location.Type}:{location.Target}";

    private async Task<List<LocationInfo>> SelectAsync(string where, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        var text = $"SELECT id, type, target, refreshed_at, problems::text, problem_count FROM catalog.locations {where} ORDER BY created_at, id";
        await using var command = _dataSource.CreateCommand(text);
        foreach (var (name, parameter) in parameters)
        {
            command.Parameters.AddWithValue(name, parameter);
        }

        var locations = new List<LocationInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var problems = reader.IsDBNull(4) ? [] : JsonSerializer.Deserialize<List<CatalogProblem>>(reader.GetString(4)) ?? [];
            locations.Add(new LocationInfo(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3), problems, reader.GetInt32(5)));
        }

        return locations;
    }

    private ILocationTargetReader Reader(string type) => _readers.TryGetValue(type, out var reader)
        ? reader
        : throw new LocationForbiddenException($"Unknown location type '{type}'; use one of: {string.Join(", ", _readers.Keys)}.");

    /// <summary>
    /// Reads the target and everything its Location entities point at, breadth first, within the limits. A read past
    /// <c>Catalog:Locations:MaxBytesPerRead</c> is refused whole: nothing of it is ingested, and the location's root is
    /// reported unreadable (a registration or dry run fails; a refresh keeps what the location had).
    /// </summary>
    private async Task<LocationRead> ReadAsync(string type, string target, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadWithinAsync(type, target, new LocationReadBudget($"{type}:{target}", _options.Value.Locations.MaxBytesPerRead), cancellationToken);
        }
        catch (LocationBudgetExceededException exception)
        {
            var problem = new CatalogProblem(ProblemLevel.Error, target, null, null, exception.Message);
            return new LocationRead([], [problem], Complete: false, RootUnreadable: problem);
        }
    }

    private async Task<LocationRead> ReadWithinAsync(string type, string target, LocationReadBudget budget, CancellationToken cancellationToken)
    {
        var limits = _options.Value.Locations;
        var entities = new List<ProcessedEntity>();
        var problems = new List<CatalogProblem>();
        var firstSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<(string Type, string Target, int Depth)>([(type, target, 0)]);
        var complete = true;
        var files = 0;
        CatalogProblem? rootUnreadable = null;

        while (queue.TryDequeue(out var next))
        {
            if (!visited.Add($"{next.Type}:{next.Target}"))
            {
                continue;
            }

            IReadOnlyList<TargetFile> read;
            try
            {
                read = await Reader(next.Type).ReadAsync(next.Target, limits.MaxFiles - files, budget, cancellationToken);
            }
            catch (Exception exception) when (exception is LocationReadException or LocationForbiddenException)
            {
                var problem = new CatalogProblem(ProblemLevel.Error, next.Target, null, null, exception.Message);
                problems.Add(problem);
                complete = false;
                rootUnreadable ??= next.Depth == 0 ? problem : null;
                continue;
            }

            files += read.Count;
            foreach (var file in read)
            {
                if (file.Error is { } error)
                {
                    problems.Add(new CatalogProblem(ProblemLevel.Error, file.Source, null, null, error));
                    complete = false;
                    continue;
                }

                var batch = _pipeline.ReadFile(file.Source, file.Content);
                if (batch.Problems.Count > 0)
                {
                    problems.AddRange(batch.Problems);
                    complete &= batch.Problems.All(p => p.Level != ProblemLevel.Error);
                }

                foreach (var entity in batch.Entities)
                {
                    if (firstSeen.TryGetValue(entity.Ref.Canonical, out var first))
                    {
                        problems.Add(new CatalogProblem(ProblemLevel.Error, entity.Source, entity.DocumentIndex, "metadata.name",
                            $"{entity.Ref.Canonical} is defined twice in this location; the first definition ({first}) is kept."));
                        continue;
                    }

                    firstSeen[entity.Ref.Canonical] = $"{entity.Source} document {entity.DocumentIndex}";
                    entities.Add(entity);
                    foreach (var child in entity.LocationTargets)
                    {
                        if (next.Depth + 1 > limits.MaxDepth)
                        {
                            problems.Add(new CatalogProblem(ProblemLevel.Error, entity.Source, entity.DocumentIndex, "spec.targets",
                                $"Locations nest deeper than {limits.MaxDepth} (Catalog:Locations:MaxDepth); {child} is not read."));
                            complete = false;
                            continue;
                        }

                        var childType = entity.LocationType ?? next.Type;
                        try
                        {
                            // Whoever writes a remote file must not make this server read its own files or repositories.
                            // (A target of the same type resolves inside the same repository or site.)
                            if (childType != next.Type && Reader(next.Type).IsRemote(next.Target) && !Reader(childType).IsRemote(child))
                            {
                                throw new LocationForbiddenException(
                                    $"{next.Target} is remote, so its Location entities may not point at {childType} targets on this server ({child}).");
                            }

                            var resolved = childType == next.Type ? Reader(childType).Resolve(file.Source, child) : child;
                            queue.Enqueue((childType, resolved, next.Depth + 1));
                        }
                        catch (Exception exception) when (exception is LocationForbiddenException or UriFormatException or ArgumentException)
                        {
                            problems.Add(new CatalogProblem(ProblemLevel.Error, entity.Source, entity.DocumentIndex, "spec.targets", exception.Message));
                            complete = false;
                        }
                    }
                }
            }
        }

        return new LocationRead(entities, problems, complete, rootUnreadable);
    }

    private async Task<LocationOutcome> WriteAsync(CatalogWrite write, LocationInfo location, LocationRead read, CancellationToken cancellationToken)
    {
        var connection = write.Connection;
        var removal = !read.Complete
            ? RemovalMode.None
            : _options.Value.OrphanStrategy == OrphanStrategy.Keep ? RemovalMode.Orphan : RemovalMode.Delete;
        var result = await CatalogWriter.ApplyAsync(write, location.Id, read.Entities, removal, cancellationToken);

        var problems = read.Problems.Concat(result.Conflicts).ToList();

        // The first problems and a count: every refresh rewrites them, and every locations query reads them back.
        var kept = problems.Take(CatalogLimits.MaxProblemsReported).ToList();
        await using (var update = new NpgsqlCommand(
            "UPDATE catalog.locations SET refreshed_at = now(), problems = @problems, problem_count = @count WHERE id = @id", connection))
        {
            update.Parameters.AddWithValue("id", location.Id);
            update.Parameters.Add(new NpgsqlParameter("problems", NpgsqlDbType.Jsonb)
            {
                Value = kept.Count == 0 ? DBNull.Value : JsonSerializer.Serialize(kept),
            });
            update.Parameters.AddWithValue("count", problems.Count);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        return new LocationOutcome(
            location with { RefreshedAt = DateTimeOffset.UtcNow, Problems = kept, ProblemCount = problems.Count },
            read.Entities.Select(e => e.Ref.Canonical).ToList(),
            result.Written,
            problems,
            result.Created,
            result.Updated,
            result.Unchanged,
            result.Deleted + result.Orphaned);
    }

    private sealed record LocationRead(List<ProcessedEntity> Entities, List<CatalogProblem> Problems, bool Complete, CatalogProblem? RootUnreadable);
}
