using System.Text.Json.Nodes;

namespace Portal.Catalog.Queries;

/// <summary>
/// An entity as stored, with the columns the gateway reads without parsing the document, and the Backstage-shaped
/// JSON (<see cref="ToBackstageJson"/>) with metadata.uid/etag, relations and status. Reads may leave the descriptor
/// and the relations out (<see cref="EntityParts"/>): they are most of a row's bytes and cost, and a page that shows
/// names, owners and systems needs neither. <see cref="Status"/> holds the stored processing items, followed by a
/// warning per dangling relation when <see cref="WarnsOfDanglingRelations"/> (read with
/// <see cref="EntityParts.DanglingWarnings"/>).
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
    byte[]? LoadedDocumentUtf8,
    IReadOnlyList<RelationView>? LoadedRelations,
    IReadOnlyList<StatusItem> Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool WarnsOfDanglingRelations)
{
    private JsonObject? _document;

    /// <summary>
    /// The stored descriptor as UTF-8 JSON text, as the database sends it: writers copy it through without a detour
    /// over UTF-16. A read that left it out throws here rather than answer "empty".
    /// </summary>
    public ReadOnlyMemory<byte> DocumentUtf8 => LoadedDocumentUtf8
        ?? throw new InvalidOperationException($"The descriptor of {Ref} was not read; read it with EntityParts.Document.");

    /// <summary>Relations from this entity. A read that left them out throws here rather than answer "none".</summary>
    public IReadOnlyList<RelationView> Relations => LoadedRelations
        ?? throw new InvalidOperationException($"The relations of {Ref} were not read; read it with EntityParts.Relations.");

    /// <summary>The optional parts this read holds.</summary>
    public EntityParts Parts =>
        (LoadedDocumentUtf8 is null ? EntityParts.Columns : EntityParts.Document)
        | (LoadedRelations is null ? EntityParts.Columns : EntityParts.Relations)
        | (WarnsOfDanglingRelations ? EntityParts.DanglingWarnings : EntityParts.Columns);

    public bool Has(EntityParts parts) => (Parts & parts) == parts;

    /// <summary>The stored descriptor, parsed on first use (pages that only show columns never pay for it).</summary>
    public JsonObject Document => _document ??= (JsonObject)JsonNode.Parse(DocumentUtf8.Span)!;

    /// <summary>The entity in Backstage's REST shape.</summary>
    public JsonObject ToBackstageJson()
    {
        var json = (JsonObject)Document.DeepClone();
        var metadata = json["metadata"] as JsonObject ?? [];
        json["metadata"] = metadata;
        metadata["namespace"] ??= Namespace;
        metadata["uid"] = Uid.ToString();
        metadata["etag"] = Etag;
        json["relations"] = new JsonArray(Relations.Select(r => (JsonNode)new JsonObject
        {
            ["type"] = r.Type,
            ["targetRef"] = r.TargetRef,
        }).ToArray());
        if (Status.Count > 0)
        {
            json["status"] = new JsonObject
            {
                ["items"] = new JsonArray(Status.Select(s => (JsonNode)new JsonObject
                {
                    ["type"] = s.Type,
                    ["level"] = s.Level,
                    ["message"] = s.Message,
                }).ToArray()),
            };
        }

        return json;
    }
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

public sealed record HistoryItem(long Id, string Change, string Actor, IReadOnlyList<string> ChangedFields, DateTimeOffset At);
