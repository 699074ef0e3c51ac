using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Catalog.Persistence.Writes;

/// <summary>
/// A processed entity turned into the columns it is stored as: the document without output-only fields, the
/// lower-cased filter facts, the search text, and a hash of all of it (equal hash: nothing to write).
/// </summary>
internal sealed class EntityRecord
{
    // Backstage keeps long values (inline API definitions) out of its search table too; filtering on them is useless.
    private const int MaxFactValueLength = 200;

    private EntityRecord(
        ProcessedEntity entity, string document, string facts, string searchText, IReadOnlyList<StatusItem> status, string? statusItems, string hash)
    {
        Status = status;
        Entity = entity;
        DocumentJson = document;
        FactsJson = facts;
        SearchText = searchText;
        StatusItemsJson = statusItems;
        Hash = hash;
    }

    public ProcessedEntity Entity { get; }

    public string Ref => Entity.Ref.Canonical;

    public string DocumentJson { get; }

    public string FactsJson { get; }

    public string SearchText { get; }

    /// <summary>The entity as a write leaves it under <paramref name="id"/>.</summary>
    public StoredEntity StoredAs(Guid id) => new(id, Etag, Entity, Status);

    /// <summary>The processing warnings as the entity's status items.</summary>
    public IReadOnlyList<StatusItem> Status { get; }

    public string? StatusItemsJson { get; }

    public string Hash { get; }

    /// <summary>Content-derived, so an unchanged entity keeps its etag across refreshes and replicas.</summary>
    public string Etag => Hash[..20];

    public string Name => Entity.Ref.Name;

    public string? Title => Metadata?["title"]?.GetValueKind() == JsonValueKind.String ? Metadata["title"]!.GetValue<string>() : null;

    public string? Description =>
        Metadata?["description"]?.GetValueKind() == JsonValueKind.String ? Metadata["description"]!.GetValue<string>() : null;

    public string[] Tags => Metadata?["tags"] is JsonArray tags
        ? tags.Where(t => t?.GetValueKind() == JsonValueKind.String).Select(t => t!.GetValue<string>()).ToArray()
        : [];

    private JsonObject? Metadata => Entity.Document["metadata"] as JsonObject;

    public static EntityRecord From(ProcessedEntity entity, Guid? locationId)
    {
        var stored = new JsonObject();
        foreach (var (key, value) in entity.Document)
        {
            // relations and status are outputs: Backstage ignores them in input, and so does the hash.
            if (key is not ("relations" or "status"))
            {
                stored[key] = value?.DeepClone();
            }
        }

        var document = stored.ToJsonString();
        var facts = BuildFacts(stored);
        var searchText = BuildSearchText(entity, stored);
        var status = entity.Warnings
            .Select(w => new StatusItem("backstage.io/catalog-processing", w.Level == ProblemLevel.Error ? "error" : "warning", w.ToString()))
            .ToList();
        // camelCase names: the same text as the stored rows' (the hash includes it, so it must not change).
        var statusItems = status.Count == 0 ? null : JsonSerializer.Serialize(status, JsonSerializerOptions.Web);

        var hashInput = new StringBuilder(document.Length + 200)
            .Append(document).Append('\n').Append(statusItems).Append('\n').Append(locationId);
        foreach (var relation in entity.Relations)
        {
            hashInput.Append('\n').Append(relation.Source.Canonical).Append(' ').Append(relation.Type).Append(' ').Append(relation.Target.Canonical);
        }

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(hashInput.ToString()))).ToLowerInvariant();
        return new EntityRecord(entity, document, facts, searchText, status, statusItems, hash);
    }

    /// <summary>
    /// Backstage's search-table semantics as one jsonb object: lower-cased dot paths to arrays of lower-cased values.
    /// Objects descend; arrays of objects descend with the same path; an array of primitives gives each value under
    /// its path and also <c>path.value = true</c>, so <c>metadata.tags.java</c> matches.
    /// </summary>
    internal static string BuildFacts(JsonObject document)
    {
        var facts = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        Collect(document, "", facts);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, values) in facts)
            {
                writer.WriteStartArray(key);
                foreach (var value in values.Distinct(StringComparer.Ordinal))
                {
                    writer.WriteStringValue(value);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Collect(JsonNode? node, string path, SortedDictionary<string, List<string>> facts)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Collect(value, path.Length == 0 ? key.ToLowerInvariant() : path + "." + key.ToLowerInvariant(), facts);
                }

                break;

            case JsonArray array:
                Values(path, facts);
                foreach (var item in array)
                {
                    if (item is JsonValue value && Primitive(value) is { } text)
                    {
                        Values(path, facts).Add(text);
                        if (text.Length <= MaxFactValueLength)
                        {
                            Values(path + "." + text, facts).Add("true");
                        }
                    }
                    else
                    {
                        Collect(item, path, facts);
                    }
                }

                break;

            case JsonValue value:
                var list = Values(path, facts);
                if (Primitive(value) is { } primitive)
                {
                    list.Add(primitive);
                }

                break;

            default:
                Values(path, facts); // null: the key exists, with no value to match.
                break;
        }
    }

    private static List<string> Values(string path, SortedDictionary<string, List<string>> facts)
    {
        if (!facts.TryGetValue(path, out var list))
        {
            list = [];
            facts[path] = list;
        }

        return list;
    }

    private static string? Primitive(JsonValue value)
    {
        var text = value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => value.ToJsonString(),
            _ => null,
        };
        return text is null || text.Length > MaxFactValueLength ? null : text.ToLowerInvariant();
    }

    private static string BuildSearchText(ProcessedEntity entity, JsonObject document)
    {
        var metadata = document["metadata"] as JsonObject;
        var parts = new List<string> { entity.Ref.Name };
        foreach (var field in new[] { "title", "description" })
        {
            if (metadata?[field] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                parts.Add(value.GetValue<string>());
            }
        }

        if (metadata?["tags"] is JsonArray tags)
        {
            parts.AddRange(tags.OfType<JsonValue>().Where(t => t.GetValueKind() == JsonValueKind.String).Select(t => t.GetValue<string>()));
        }

        return string.Join(' ', parts).ToLowerInvariant();
    }
}
