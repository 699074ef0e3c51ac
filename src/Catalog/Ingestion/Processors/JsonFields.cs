using System.Text.Json.Nodes;
using Portal.Catalog.Ingestion.Descriptors;

namespace Portal.Catalog.Ingestion.Processors;

/// <summary>Reads typed fields from a descriptor, reporting a missing or mistyped one on the context.</summary>
internal static class JsonFields
{
    public static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A required string; a missing key and an explicit null both read as "is required".</summary>
    public static string? RequiredString(EntityProcessingContext context, JsonObject owner, string key, string field)
    {
        var node = owner[key];
        if (node is null)
        {
            context.Error(field, "is required");
            return null;
        }

        if (AsString(node) is not { } value)
        {
            context.Error(field, $"must be a string, found {DescriptorText.Describe(node)}");
            return null;
        }

        return value;
    }

    public static string? OptionalString(EntityProcessingContext context, JsonObject owner, string key, string field)
    {
        if (!owner.TryGetPropertyValue(key, out var node))
        {
            return null;
        }

        if (AsString(node) is not { } value)
        {
            context.Error(field, $"must be a string, found {DescriptorText.Describe(node)}");
            return null;
        }

        return value;
    }
}
