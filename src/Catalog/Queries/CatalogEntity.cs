using System.Text.Json.Nodes;

namespace Portal.Catalog.Queries;

/// <summary>
/// An entity as stored, with the columns the gateway reads without parsing the document, and the Backstage-shaped
/// JSON (<see cref="ToBackstageJson"/>) with metadata.uid/etag, relations and status. Reads may leave the relations
/// out (<see cref="EntityQuery.IncludeRelations"/>): they are the costliest part of a row, and a page that shows names
/// and owners never needs them.
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
    string DocumentJson,
    IReadOnlyList<RelationView>? LoadedRelations,
    IReadOnlyList<StatusItem> Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    private JsonObject? _document;

    /// <summary>Relations from this entity. A read that left them out throws here rather than answer "none".</summary>
    public IReadOnlyList<RelationView> Relations => LoadedRelations
        ?? throw new InvalidOperationException($"The relations of {Ref} were not read; read it with its relations.");

    public bool HasRelations => LoadedRelations is not null;

    /// <summary>The stored descriptor, parsed on first use (pages that only show columns never pay for it).</summary>
    public JsonObject Document => _document ??= (JsonObject)JsonNode.Parse(DocumentJson)!;

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

public sealed record RelationView(string Type, string TargetRef);

public sealed record StatusItem(string Type, string Level, string Message);

public sealed record FacetValue(string Value, int Count);

public sealed record HistoryItem(long Id, string Change, string Actor, IReadOnlyList<string> ChangedFields, DateTimeOffset At);
