using System.Text.Json;

namespace Portal.Catalog.Persistence;

/// <summary>One stored entity. Reads go through <c>Queries/</c> with plain SQL; this type exists for the schema.</summary>
internal sealed class EntityRow
{
    /// <summary>The entity's uid (<c>metadata.uid</c>).</summary>
    public Guid Id { get; set; }

    /// <summary>Canonical lower-case <c>kind:namespace/name</c>; unique.</summary>
    public string Ref { get; set; } = "";

    public string Kind { get; set; } = "";

    public string Namespace { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Title { get; set; }

    public string? Description { get; set; }

    public string? Type { get; set; }

    public string? Lifecycle { get; set; }

    public string? OwnerRef { get; set; }

    public string? SystemRef { get; set; }

    public string[] Tags { get; set; } = [];

    /// <summary>The descriptor as ingested (apiVersion, kind, metadata, spec), without server-generated fields.</summary>
    public JsonDocument Document { get; set; } = null!;

    /// <summary>
    /// <see cref="Document"/> as JSON text, kept by PostgreSQL itself (a stored generated column). Reads that return
    /// descriptors take this: printing jsonb as text on every read was about a quarter of PostgreSQL's work on a REST
    /// page.
    /// </summary>
    public string DocumentText { get; private set; } = null!;

    /// <summary>Lower-cased flattened <c>path → [values]</c> for Backstage filters (GIN-indexed).</summary>
    public JsonDocument Facts { get; set; } = null!;

    /// <summary>
    /// The one value <see cref="Facts"/> holds for <c>spec.owner</c> (lower-cased, as written: not resolved to a ref),
    /// kept by PostgreSQL itself; null when it holds none or several. The team page's filter (<c>kind=component,
    /// spec.owner=group:default/x</c>) reads it through a B-tree instead of the facts index: see <c>FilterSql</c>.
    /// </summary>
    public string? SpecOwner { get; private set; }

    /// <summary>
    /// Whether <see cref="Facts"/> hold <c>spec.owner</c> but not as one value (a custom kind's list of owners, or null):
    /// the few entities <see cref="SpecOwner"/> cannot answer the owner filter for, kept by PostgreSQL itself. Its
    /// statistics tell the planner they are few, even for a prepared statement's generic plan: see <c>FilterSql</c>.
    /// </summary>
    public bool OwnerIrregular { get; private set; }

    /// <summary>Lower-cased name, title, description and tags, for substring search (trigram-indexed).</summary>
    public string SearchText { get; set; } = "";

    /// <summary>Processing warnings, as Backstage <c>status.items</c>.</summary>
    public JsonDocument? StatusItems { get; set; }

    public string Etag { get; set; } = "";

    /// <summary>Hash of everything a refresh would write; equal hash, no write.</summary>
    public string Hash { get; set; } = "";

    /// <summary>The location that manages the entity; null for entities written through the API.</summary>
    public Guid? LocationId { get; set; }

    public bool Orphan { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One directed relation, emitted by the entity <see cref="OriginId"/> (whose refresh replaces it).</summary>
internal sealed class RelationRow
{
    public Guid OriginId { get; set; }

    public string SourceRef { get; set; } = "";

    public string Type { get; set; } = "";

    public string TargetRef { get; set; } = "";
}

internal sealed class LocationRow
{
    public Guid Id { get; set; }

    /// <summary><c>file</c>, <c>url</c> or <c>git</c>.</summary>
    public string Type { get; set; } = "";

    public string Target { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RefreshedAt { get; set; }

    /// <summary>
    /// The first <see cref="CatalogLimits.MaxProblemsReported"/> problems of the last refresh (errors and warnings), or
    /// null when it was clean.
    /// </summary>
    public JsonDocument? Problems { get; set; }

    /// <summary>How many problems the last refresh had, <see cref="Problems"/> and those left out.</summary>
    public int ProblemCount { get; set; }
}

internal sealed class HistoryRow
{
    public long Id { get; set; }

    public Guid EntityId { get; set; }

    public string EntityRef { get; set; } = "";

    /// <summary><c>created</c>, <c>updated</c>, <c>deleted</c> or <c>orphaned</c>.</summary>
    public string Change { get; set; } = "";

    /// <summary>Who made the change: <c>location:file:/path</c> or <c>api</c> with the caller.</summary>
    public string Actor { get; set; } = "";

    /// <summary>Top-level paths that changed (<c>spec.owner</c>, <c>metadata.tags</c>).</summary>
    public string[] ChangedFields { get; set; } = [];

    public DateTimeOffset At { get; set; }
}

/// <summary>One row: a counter every catalog write bumps, so readers can tell whether cached aggregates are current.</summary>
internal sealed class CatalogStateRow
{
    public int Id { get; set; }

    public long Version { get; set; }
}
