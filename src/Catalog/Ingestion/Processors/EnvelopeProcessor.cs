using System.Text.Json.Nodes;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Model;

namespace Portal.Catalog.Ingestion.Processors;

/// <summary>
/// Validates what every entity shares, as Backstage's default entity policies do (no foreign root fields, the
/// apiVersion, kind and metadata formats, the default namespace), identifies the entity, and sorts its relation lists
/// as Backstage does before anything reads them. Runs first (Order 0).
/// </summary>
public sealed class EnvelopeProcessor : IEntityProcessor
{
    private static readonly string[] RootFields = ["apiVersion", "kind", "metadata", "spec", "relations", "status"];
    private const int MaxUnstorableReported = 10;

    public string Name => "envelope";

    public int Order => 0;

    // Backstage sorts these lists of every kind before anything else reads them (this runs first) ("for a more stable entity hash": they are
    // relations, whose order means nothing), so its answers hold them sorted, not as written: so do ours.
    private static readonly string[] SortedSpecLists = ["providesApis", "consumesApis", "dependsOn", "dependencyOf", "memberOf", "children", "members"];

    public void Process(EntityProcessingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var document = context.Document;
        SortRelationLists(document);
        var unstorable = 0;
        CheckStorable(context, document, "", ref unstorable);
        foreach (var (key, _) in document)
        {
            if (Array.IndexOf(RootFields, key) < 0)
            {
                context.Error(DescriptorText.Key(key), $"unknown root field {DescriptorText.Quote(key)}; an entity has only {string.Join(", ", RootFields)}");
            }
        }

        var apiVersion = JsonFields.RequiredString(context, document, "apiVersion", "apiVersion");
        if (apiVersion is not null && !DescriptorRules.IsValidApiVersion(apiVersion))
        {
            context.Error("apiVersion", $"{DescriptorText.Quote(apiVersion)} is not a valid apiVersion: {DescriptorRules.ApiVersionRule}");
        }

        var kind = JsonFields.RequiredString(context, document, "kind", "kind");
        if (kind is not null && !DescriptorRules.IsValidKind(kind))
        {
            context.Error("kind", $"{DescriptorText.Quote(kind)} is not a valid kind: {DescriptorRules.KindRule}");
        }

        if (document.TryGetPropertyValue("spec", out var spec) && spec is not JsonObject)
        {
            context.Error("spec", $"must be an object, found {DescriptorText.Describe(spec)}");
        }

        var (name, @namespace) = ValidateMetadata(context, document, kind);

        // relations and status are outputs of the catalog: taking them from input would let a descriptor claim edges
        // that its spec does not declare.
        foreach (var output in (ReadOnlySpan<string>)["relations", "status"])
        {
            if (document.Remove(output))
            {
                context.Warning(output, $"ignored: {output} are produced by the catalog, not read from descriptors");
            }
        }

        if (!context.HasErrors && kind is not null && @namespace is not null && name is not null)
        {
            context.Identify(kind, @namespace, name);
        }
    }

    /// <summary>
    /// Reports keys and string values the database cannot hold (<see cref="StorableText"/>): such a document could
    /// never be written, and would otherwise fail its whole location's write.
    /// </summary>
    private static void CheckStorable(EntityProcessingContext context, JsonNode? node, string path, ref int reported)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var field = path.Length == 0 ? DescriptorText.Key(key) : $"{path}.{DescriptorText.Key(key)}";
                    if (!StorableText.IsStorable(key) && reported++ < MaxUnstorableReported)
                    {
                        context.Error(field, $"the key {DescriptorText.Quote(key)} holds a character the catalog cannot store ({StorableText.Rule})");
                    }

                    CheckStorable(context, value, field, ref reported);
                }

                break;

            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    CheckStorable(context, array[i], $"{path}[{i}]", ref reported);
                }

                break;

            case JsonValue value when value.TryGetValue<string>(out var text) && !StorableText.IsStorable(text):
                if (reported++ < MaxUnstorableReported)
                {
                    context.Error(path, $"{DescriptorText.Quote(text)} holds a character the catalog cannot store ({StorableText.Rule})");
                }

                break;
        }
    }

    private static (string? Name, string? Namespace) ValidateMetadata(EntityProcessingContext context, JsonObject document, string? kind)
    {
        if (!document.TryGetPropertyValue("metadata", out var metadataNode) || metadataNode is null)
        {
            context.Error("metadata", "is required");
            return (null, null);
        }

        if (metadataNode is not JsonObject metadata)
        {
            context.Error("metadata", $"must be an object, found {DescriptorText.Describe(metadataNode)}");
            return (null, null);
        }

        var name = JsonFields.RequiredString(context, metadata, "name", "metadata.name");
        if (name is not null && !DescriptorRules.IsValidObjectName(name))
        {
            context.Error("metadata.name", name.Length > 63
                ? $"{DescriptorText.Quote(name)} is not a valid name: it is {name.Length} characters long, over the limit of 63"
                : $"{DescriptorText.Quote(name)} is not a valid name: {DescriptorRules.NameRule}");
            name = null;
        }

        string? @namespace = "default";
        var namespaceNode = metadata["namespace"];
        if (namespaceNode is null)
        {
            // Backstage's DefaultNamespaceEntityPolicy: a missing namespace is "default", and the stored document says so.
            metadata["namespace"] = "default";
        }
        else if (JsonFields.AsString(namespaceNode) is not { } written)
        {
            context.Error("metadata.namespace", $"must be a string, found {DescriptorText.Describe(namespaceNode)}");
            @namespace = null;
        }
        else if (!DescriptorRules.IsValidNamespace(written))
        {
            context.Error("metadata.namespace", $"{DescriptorText.Quote(written)} is not a valid namespace: {DescriptorRules.NamespaceRule}");
            @namespace = null;
        }
        else
        {
            @namespace = written;
        }

        JsonFields.OptionalString(context, metadata, "title", "metadata.title");
        JsonFields.OptionalString(context, metadata, "description", "metadata.description");
        var entity = EntityText(kind, @namespace, name);
        ValidateMap(context, metadata, "labels", entity);
        ValidateMap(context, metadata, "annotations", entity);
        ValidateTags(context, metadata);
        ValidateLinks(context, metadata);
        return (name, @namespace);
    }

    /// <summary>The entity for a message, as its reference would read, or "the entity" when its identity is itself wrong.</summary>
    internal static string EntityText(string? kind, string? @namespace, string? name) =>
        kind is not null && @namespace is not null && name is not null
            ? $"{kind}:{@namespace}/{name}".ToLowerInvariant()
            : "the entity";

    /// <summary>The error for a URL a portal would link to that breaks <see cref="DescriptorRules.UrlRule"/>.</summary>
    internal static void UnsafeUrl(EntityProcessingContext context, string field, string entity, string what, string url) =>
        context.Error(field, $"the {what} of {entity}, {DescriptorText.Quote(url)}, is not {DescriptorRules.UrlRule}");

    private static void ValidateMap(EntityProcessingContext context, JsonObject metadata, string key, string entity)
    {
        var isLabels = key == "labels";
        if (!metadata.TryGetPropertyValue(key, out var node))
        {
            return;
        }

        var field = "metadata." + key;
        if (node is not JsonObject map)
        {
            context.Error(field, $"must be an object, found {DescriptorText.Describe(node)}");
            return;
        }

        foreach (var (entryKey, entryValue) in map)
        {
            var entryField = $"{field}.{DescriptorText.Key(entryKey)}";
            if (!DescriptorRules.IsValidKey(entryKey))
            {
                context.Error(entryField, $"{DescriptorText.Quote(entryKey)} is not a valid key: {DescriptorRules.KeyRule}");
            }

            if (JsonFields.AsString(entryValue) is not { } value)
            {
                context.Error(entryField, $"must be a string, found {DescriptorText.Describe(entryValue)}");
            }
            else if (isLabels && !DescriptorRules.IsValidLabelValue(value))
            {
                context.Error(entryField, $"{DescriptorText.Quote(value)} is not a valid label value: empty, or {DescriptorRules.NameRule}");
            }
            else if (!isLabels && value.Length > 0)
            {
                ValidateLinkedAnnotation(context, entryField, entryKey, value, entity);
            }
        }
    }

    /// <summary>
    /// Annotations a portal renders as links are held to the rule of <c>metadata.links</c>. An empty value links to
    /// nothing and is kept; a location annotation of another type (<c>file:</c>, <c>dir:</c>) is not a link.
    /// </summary>
    private static void ValidateLinkedAnnotation(EntityProcessingContext context, string field, string key, string value, string entity)
    {
        if (DescriptorRules.LocationAnnotations.TryGetValue(key, out var location))
        {
            if (value.StartsWith("url:", StringComparison.Ordinal) && !DescriptorRules.IsSafeUrl(value["url:".Length..]))
            {
                context.Error(field, $"{location} of {entity}, {DescriptorText.Quote(value)}, is not url: followed by {DescriptorRules.UrlRule}");
            }
        }
        else if (DescriptorRules.IsUrlAnnotation(key) && !DescriptorRules.IsSafeUrl(value))
        {
            UnsafeUrl(context, field, entity, "link", value);
        }
    }

    private static void ValidateTags(EntityProcessingContext context, JsonObject metadata)
    {
        if (!metadata.TryGetPropertyValue("tags", out var node))
        {
            return;
        }

        if (node is not JsonArray tags)
        {
            context.Error("metadata.tags", $"must be an array, found {DescriptorText.Describe(node)}");
            return;
        }

        for (var i = 0; i < tags.Count; i++)
        {
            if (JsonFields.AsString(tags[i]) is not { } tag)
            {
                context.Error($"metadata.tags[{i}]", $"must be a string, found {DescriptorText.Describe(tags[i])}");
            }
            else if (!DescriptorRules.IsValidTag(tag))
            {
                context.Error($"metadata.tags[{i}]", $"{DescriptorText.Quote(tag)} is not a valid tag: {DescriptorRules.TagRule}");
            }
        }
    }

    private static void ValidateLinks(EntityProcessingContext context, JsonObject metadata)
    {
        if (!metadata.TryGetPropertyValue("links", out var node))
        {
            return;
        }

        if (node is not JsonArray links)
        {
            context.Error("metadata.links", $"must be an array, found {DescriptorText.Describe(node)}");
            return;
        }

        for (var i = 0; i < links.Count; i++)
        {
            var field = $"metadata.links[{i}]";
            if (links[i] is not JsonObject link)
            {
                context.Error(field, $"must be an object with a url, found {DescriptorText.Describe(links[i])}");
                continue;
            }

            var url = JsonFields.RequiredString(context, link, "url", field + ".url");
            if (url is not null && !DescriptorRules.IsSafeUrl(url))
            {
                context.Error(field + ".url", $"{DescriptorText.Quote(url)} is not {DescriptorRules.UrlRule}");
            }

            JsonFields.OptionalString(context, link, "title", field + ".title");
            JsonFields.OptionalString(context, link, "type", field + ".type");
            var icon = JsonFields.OptionalString(context, link, "icon", field + ".icon");
            if (icon is not null && !DescriptorRules.IsValidObjectName(icon))
            {
                context.Error(field + ".icon", $"{DescriptorText.Quote(icon)} is not a valid icon name: {DescriptorRules.NameRule}");
            }
        }
    }

    /// <summary>
    /// Sorts each of <see cref="SortedSpecLists"/> that is a list of strings only, as JavaScript's default sort does
    /// (by UTF-16 code unit: case-sensitive, duplicates kept, values untouched). A list holding anything else is left
    /// as written, as Backstage leaves it.
    /// </summary>
    private static void SortRelationLists(JsonObject document)
    {
        if (document["spec"] is not JsonObject spec)
        {
            return;
        }

        foreach (var field in SortedSpecLists)
        {
            if (spec[field] is not JsonArray list || list.Count < 2
                || !list.All(item => item is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String))
            {
                continue;
            }

            var sorted = list.Select(item => item!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
            list.Clear();
            foreach (var value in sorted)
            {
                list.Add(JsonValue.Create(value));
            }
        }
    }
}
