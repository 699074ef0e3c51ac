using System.Text.Json.Nodes;

namespace Portal.Catalog.Queries;

/// <summary>
/// An entity as stored: the columns every read has (names, type, lifecycle, owner, system, etag, location, status,
/// timestamps), read without parsing the descriptor. The descriptor and the relations are most of a row's bytes and
/// cost, and a page that shows names, owners and systems needs neither, so a read includes them only when asked
/// (<see cref="EntityParts"/>); each is simply null when the read left it out. <see cref="Status"/> holds the stored
/// processing items, followed by a warning per dangling relation when the read asked for them
/// (<see cref="EntityParts.DanglingWarnings"/>, <see cref="StatusWarnsOfDanglingRelations"/>).
/// </summary>
public sealed record CatalogEntity(
    Guid Uid,
    string Ref,
    string Kind,
    string Namespace,
    string Name,
    string? Title,
    string? Description,
    string? Type,
    string? Lifecycle,
    string? OwnerRef,
    string? SystemRef,
    string Etag,
    Guid? LocationId,
    bool Orphan,
    IReadOnlyList<StatusItem> Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The stored descriptor; null when the read left it out (<see cref="EntityParts.Document"/>).</summary>
    public EntityDescriptor? Descriptor { get; init; }

    /// <summary>Relations from this entity; null when the read left them out (<see cref="EntityParts.Relations"/>).</summary>
    public IReadOnlyList<RelationView>? Relations { get; init; }

    /// <summary><see cref="Status"/> includes the dangling-relation warnings (<see cref="EntityParts.DanglingWarnings"/>).</summary>
    public bool StatusWarnsOfDanglingRelations { get; init; }

    /// <summary>
    /// The system the entity is part of: <see cref="SystemRef"/> when it names a System (Backstage's <c>spec.system</c>
    /// defaults to that kind, but a descriptor may name another kind there, which is no system).
    /// </summary>
    public string? SystemEntityRef => SystemRef is { } system && system.StartsWith("system:", StringComparison.Ordinal) ? system : null;

    /// <summary>The optional parts this read holds.</summary>
    public EntityParts Parts =>
        (Descriptor is null ? EntityParts.Columns : EntityParts.Document)
        | (Relations is null ? EntityParts.Columns : EntityParts.Relations)
        | (StatusWarnsOfDanglingRelations ? EntityParts.DanglingWarnings : EntityParts.Columns);

    public bool Has(EntityParts parts) => (Parts & parts) == parts;
}

/// <summary>An entity's stored descriptor, as the UTF-8 JSON text the database sent, parsed on first use.</summary>
public sealed class EntityDescriptor(byte[] utf8)
{
    private JsonObject? _json;

    /// <summary>The descriptor's JSON text: writers copy it through without a detour over UTF-16.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; } = utf8;

    /// <summary>The descriptor parsed (pages that only show columns never pay for it).</summary>
    public JsonObject Json => _json ??= (JsonObject)JsonNode.Parse(Utf8.Span)!;
}

/// <summary>
/// What a read includes besides the columns (ref, kind, names, title, description, type, lifecycle, owner, system,
/// etag, location, status, timestamps), which every read has.
/// </summary>
[Flags]
public enum EntityParts
{
    Columns = 0,

    /// <summary>The stored descriptor (spec, tags, labels, annotations, links).</summary>
    Document = 1,

    /// <summary>The entity's relations (a subquery per row).</summary>
    Relations = 2,

    All = Document | Relations,

    /// <summary>
    /// <see cref="CatalogEntity.Status"/> also warns of each relation whose target is not in the catalog (a subquery
    /// per row). Such relations are kept, since the target may be registered later; computed on read, the warning
    /// disappears the moment the target arrives.
    /// </summary>
    DanglingWarnings = 4,
}

public sealed record RelationView(string Type, string TargetRef);

public sealed record StatusItem(string Type, string Level, string Message);

public sealed record FacetValue(string Value, int Count);

/// <summary>The order of a facet's values.</summary>
public enum FacetOrder
{
    /// <summary>Most frequent first; equal counts by value.</summary>
    ByCount,

    /// <summary>By value, in the database's collation, as Backstage's <c>/entity-facets</c> lists them.</summary>
    ByValue,
}

public sealed record HistoryItem(long Id, string Change, string Actor, IReadOnlyList<string> ChangedFields, DateTimeOffset At);
