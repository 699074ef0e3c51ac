using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Locations;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Backstage.Catalog;

/// <summary>
/// Writes entities in Backstage's REST shape straight from the stored document: <c>metadata.uid</c>, <c>etag</c> and
/// <c>namespace</c> filled in, then <c>relations</c> and (when there is any) <c>status</c>, keeping only what a
/// <see cref="FieldSelection"/> selects. No intermediate JSON tree is built, which keeps pages of entities cheap.
/// </summary>
internal static class EntityJson
{
    private static readonly string[] LeadingKeys = ["apiVersion", "kind", "metadata", "spec"];

    // Top-level keys not copied in the loop over the rest: the envelope (written first) and the outputs (relations and
    // status, written from the catalog). As UTF-8, so each key is compared without decoding its name.
    private static readonly byte[][] WrittenApart = [.. LeadingKeys.Select(Encoding.UTF8.GetBytes), "relations"u8.ToArray(), "status"u8.ToArray()];

    // Names written for every relation of every entity of a page: encoded once.
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText TargetRefName = JsonEncodedText.Encode("targetRef");

    /// <summary>
    /// What <see cref="Write(Utf8JsonWriter, CatalogEntity, FieldSelection)"/> needs: always the descriptor (every
    /// field is written from it), and the relations only when the fields keep them.
    /// </summary>
    public static EntityParts PartsWritten(FieldSelection fields) =>
        fields.KeepsWhole("relations") ? EntityParts.All : EntityParts.Document;

    public static void Write(Utf8JsonWriter json, CatalogEntity entity, FieldSelection fields)
    {
        using var document = JsonDocument.Parse((entity.Descriptor ?? throw NotRead(entity, "descriptor")).Utf8);
        var root = document.RootElement;
        json.WriteStartObject();

        // The stored jsonb orders keys by length; put the envelope back in the order descriptors are written.
        foreach (var name in LeadingKeys)
        {
            if (name == "metadata")
            {
                WriteMetadata(json, root.TryGetProperty(name, out var metadata) ? metadata : default, entity, fields.Select(name));
            }
            else if (root.TryGetProperty(name, out var value))
            {
                WriteSelected(json, name, value, fields.Select(name));
            }
        }

        foreach (var property in root.EnumerateObject())
        {
            if (!IsWrittenApart(property))
            {
                WriteProperty(json, property, fields);
            }
        }

        if (fields.KeepsWhole("relations"))
        {
            json.WriteStartArray("relations");
            foreach (var relation in entity.Relations ?? throw NotRead(entity, "relations"))
            {
                json.WriteStartObject();
                json.WriteString(TypeName, relation.Type);
                json.WriteString(TargetRefName, relation.TargetRef);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (entity.Status.Count > 0 && fields.KeepsWhole("status"))
        {
            WriteStatus(json, entity.Status);
        }

        json.WriteEndObject();
    }

    /// <summary>An entity a dry run would ingest: its normalized descriptor and the relations it emits itself.</summary>
    public static void Write(Utf8JsonWriter json, ProcessedEntity entity) => WriteProcessed(json, entity, stored: null);

    /// <summary>
    /// An entity a registration wrote, from what the write had in hand (no read back): as a dry run shows it, with its
    /// <c>metadata.uid</c>, <c>etag</c> and status.
    /// </summary>
    public static void Write(Utf8JsonWriter json, StoredEntity stored) => WriteProcessed(json, stored.Entity, stored);

    private static void WriteProcessed(Utf8JsonWriter json, ProcessedEntity entity, StoredEntity? stored)
    {
        json.WriteStartObject();
        foreach (var name in LeadingKeys)
        {
            if (entity.Document[name] is { } value)
            {
                json.WritePropertyName(name);
                if (stored is not null && name == "metadata" && value is JsonObject metadata)
                {
                    json.WriteStartObject();
                    foreach (var (key, item) in metadata.Where(p => p.Key is not ("uid" or "etag")))
                    {
                        json.WritePropertyName(key);
                        WriteNode(json, item);
                    }

                    json.WriteString("uid", stored.Uid.ToString());
                    json.WriteString("etag", stored.Etag);
                    json.WriteEndObject();
                }
                else
                {
                    WriteNode(json, value);
                }
            }
        }

        foreach (var (name, value) in entity.Document.Where(p => !LeadingKeys.Contains(p.Key) && p.Key is not ("relations" or "status")))
        {
            json.WritePropertyName(name);
            WriteNode(json, value);
        }

        json.WriteStartArray("relations");
        foreach (var relation in entity.Relations.Where(r => r.Source.Equals(entity.Ref)))
        {
            json.WriteStartObject();
            json.WriteString(TypeName, relation.Type);
            json.WriteString(TargetRefName, relation.Target.Canonical);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (stored is { Status.Count: > 0 })
        {
            WriteStatus(json, stored.Status);
        }

        json.WriteEndObject();
    }

    private static void WriteNode(Utf8JsonWriter json, JsonNode? node)
    {
        if (node is null)
        {
            json.WriteNullValue();
        }
        else
        {
            node.WriteTo(json);
        }
    }

    private static void WriteStatus(Utf8JsonWriter json, IReadOnlyList<StatusItem> status)
    {
        json.WriteStartObject("status");
        json.WriteStartArray("items");
        foreach (var item in status)
        {
            json.WriteStartObject();
            json.WriteString("type", item.Type);
            json.WriteString("level", item.Level);
            json.WriteString("message", item.Message);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>
    /// The entity in Backstage's REST shape as a JSON value, for GraphQL's <c>descriptor</c>: the same writer as the REST
    /// API's, so both surfaces show an entity the same way. Needs the descriptor and the relations.
    /// </summary>
    public static JsonElement ToElement(CatalogEntity entity)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, entity, FieldSelection.All);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static InvalidOperationException NotRead(CatalogEntity entity, string part) =>
        new($"The {part} of {entity.Ref} was not read; read it with EntityJson.PartsWritten.");

    /// <summary>Backstage's <c>Location</c>: <c>{id, type, target}</c>.</summary>
    public static void Write(Utf8JsonWriter json, LocationInfo location)
    {
        json.WriteStartObject();
        json.WriteString("id", location.Id.ToString());
        json.WriteString("type", location.Type);
        json.WriteString("target", location.Target);
        json.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter json, JsonElement metadata, CatalogEntity entity, FieldSelection? selection)
    {
        if (selection is null)
        {
            return;
        }

        var hasMetadata = metadata.ValueKind == JsonValueKind.Object; // a stored descriptor always has it; be safe anyway
        var writeNamespace = selection.KeepsWhole("namespace") && !(hasMetadata && metadata.TryGetProperty("namespace"u8, out _));
        var writeUid = selection.KeepsWhole("uid");
        var writeEtag = selection.KeepsWhole("etag");
        if (!selection.IsLeaf && !writeNamespace && !writeUid && !writeEtag && !(hasMetadata && KeepsAny(metadata, selection)))
        {
            return; // as Backstage: a projection that keeps nothing of metadata leaves it out
        }

        json.WriteStartObject("metadata");
        if (hasMetadata)
        {
            foreach (var property in metadata.EnumerateObject())
            {
                if (!property.NameEquals("uid"u8) && !property.NameEquals("etag"u8))
                {
                    WriteProperty(json, property, selection);
                }
            }
        }

        if (writeNamespace)
        {
            json.WriteString("namespace", entity.Namespace);
        }

        if (writeUid)
        {
            json.WriteString("uid", entity.Uid.ToString());
        }

        if (writeEtag)
        {
            json.WriteString("etag", entity.Etag);
        }

        json.WriteEndObject();
    }

    private static bool IsWrittenApart(JsonProperty property)
    {
        foreach (var name in WrittenApart)
        {
            if (property.NameEquals(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A property of an object <paramref name="parent"/> selects from.</summary>
    private static void WriteProperty(Utf8JsonWriter json, JsonProperty property, FieldSelection parent)
    {
        if (parent.IsLeaf)
        {
            property.WriteTo(json); // the whole object is kept: copied through, without decoding the name
            return;
        }

        WriteSelected(json, property.Name, property.Value, parent.Select(property.Name));
    }

    private static void WriteSelected(Utf8JsonWriter json, string name, JsonElement value, FieldSelection? selection)
    {
        if (selection is null)
        {
            return;
        }

        if (selection.IsLeaf)
        {
            json.WritePropertyName(name);
            value.WriteTo(json);
            return;
        }

        // A path into an array or a scalar selects nothing (Backstage's lodash paths do not index arrays by name).
        if (value.ValueKind != JsonValueKind.Object || !KeepsAny(value, selection))
        {
            return;
        }

        json.WriteStartObject(name);
        foreach (var property in value.EnumerateObject())
        {
            WriteProperty(json, property, selection);
        }

        json.WriteEndObject();
    }

    private static bool KeepsAny(JsonElement value, FieldSelection selection)
    {
        foreach (var property in value.EnumerateObject())
        {
            if (selection.Select(property.Name) is { } kept
                && (kept.IsLeaf || (property.Value.ValueKind == JsonValueKind.Object && KeepsAny(property.Value, kept))))
            {
                return true;
            }
        }

        return false;
    }
}
