using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Model;

namespace Portal.Catalog.Ingestion.Processors;

/// <summary>
/// Validates the spec of Backstage's nine built-in kinds and derives their relations the way Backstage's
/// <c>BuiltinKindsEntityProcessor</c> does: each spec reference yields the forward edge from this entity and the
/// reverse edge from the target. Other kinds pass through untouched. Runs after the envelope (Order 100), which has
/// sorted the relation lists of every kind as Backstage does.
/// </summary>
public sealed class BuiltinKindsProcessor : IEntityProcessor
{
    private const string BackstageV1Alpha1 = "backstage.io/v1alpha1";
    private const string BackstageV1Beta1 = "backstage.io/v1beta1";
    private const string ScaffolderV1Beta3 = "scaffolder.backstage.io/v1beta3";

    // Kinds match case-insensitively: Backstage rejects "kind: component" outright, and accepting it here as a
    // generic entity would skip every spec rule.
    private static readonly FrozenDictionary<string, BuiltinKind> Kinds = new Dictionary<string, BuiltinKind>
    {
        ["Component"] = BuiltinKind.Component,
        ["API"] = BuiltinKind.Api,
        ["Resource"] = BuiltinKind.Resource,
        ["System"] = BuiltinKind.System,
        ["Domain"] = BuiltinKind.Domain,
        ["Group"] = BuiltinKind.Group,
        ["User"] = BuiltinKind.User,
        ["Location"] = BuiltinKind.Location,
        ["Template"] = BuiltinKind.Template,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private enum BuiltinKind
    {
        Component,
        Api,
        Resource,
        System,
        Domain,
        Group,
        User,
        Location,
        Template,
    }

    public string Name => "builtin-kinds";

    public int Order => 100;

    public void Process(EntityProcessingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Ref is not { } self || context.Kind is null || !Kinds.TryGetValue(context.Kind, out var kind))
        {
            return;
        }

        var apiVersion = JsonFields.AsString(context.Document["apiVersion"]);
        var supported = kind == BuiltinKind.Template
            ? apiVersion == ScaffolderV1Beta3
            : apiVersion is BackstageV1Alpha1 or BackstageV1Beta1;
        if (!supported)
        {
            var expected = kind == BuiltinKind.Template ? ScaffolderV1Beta3 : $"{BackstageV1Alpha1} or {BackstageV1Beta1}";
            context.Error("apiVersion", $"{DescriptorText.Quote(apiVersion ?? "")} is not an apiVersion of kind {context.Kind}; use {expected}");
            return;
        }

        if (context.Document["spec"] is not JsonObject spec)
        {
            context.Error("spec", $"is required for kind {context.Kind}");
            return;
        }

        var reader = new SpecReader(context, spec, self);
        switch (kind)
        {
            case BuiltinKind.Component:
                reader.String("type", required: true);
                reader.String("lifecycle", required: true);
                context.Owner = reader.Relate(reader.Ref("owner", DefaultKinds.Owner, required: true), RelationTypes.OwnedBy);
                context.System = reader.Relate(reader.Ref("system", DefaultKinds.System), RelationTypes.PartOf);
                reader.Relate(reader.Ref("subcomponentOf", "Component"), RelationTypes.PartOf);
                reader.Relate(reader.Refs("providesApis", "API"), RelationTypes.ProvidesApi);
                reader.Relate(reader.Refs("consumesApis", "API"), RelationTypes.ConsumesApi);
                reader.Relate(reader.Refs("dependsOn", null), RelationTypes.DependsOn);
                reader.Relate(reader.Refs("dependencyOf", null), RelationTypes.DependencyOf);
                break;
            case BuiltinKind.Api:
                reader.String("type", required: true);
                reader.String("lifecycle", required: true);
                context.Owner = reader.Relate(reader.Ref("owner", DefaultKinds.Owner, required: true), RelationTypes.OwnedBy);
                reader.Definition();
                context.System = reader.Relate(reader.Ref("system", DefaultKinds.System), RelationTypes.PartOf);
                break;
            case BuiltinKind.Resource:
                reader.String("type", required: true);
                context.Owner = reader.Relate(reader.Ref("owner", DefaultKinds.Owner, required: true), RelationTypes.OwnedBy);
                context.System = reader.Relate(reader.Ref("system", DefaultKinds.System), RelationTypes.PartOf);
                reader.Relate(reader.Refs("dependsOn", null), RelationTypes.DependsOn);
                reader.Relate(reader.Refs("dependencyOf", null), RelationTypes.DependencyOf);
                break;
            case BuiltinKind.System:
                reader.String("type");
                context.Owner = reader.Relate(reader.Ref("owner", DefaultKinds.Owner, required: true), RelationTypes.OwnedBy);
                reader.Relate(reader.Ref("domain", "Domain"), RelationTypes.PartOf);
                break;
            case BuiltinKind.Domain:
                reader.String("type");
                context.Owner = reader.Relate(reader.Ref("owner", DefaultKinds.Owner, required: true), RelationTypes.OwnedBy);
                reader.Relate(reader.Ref("subdomainOf", "Domain"), RelationTypes.PartOf);
                break;
            case BuiltinKind.Group:
                reader.String("type", required: true);
                reader.Profile();
                reader.Relate(reader.Ref("parent", "Group"), RelationTypes.ChildOf);
                reader.Relate(reader.Refs("children", "Group", required: true), RelationTypes.ParentOf);
                reader.Relate(reader.Refs("members", "User"), RelationTypes.HasMember);
                break;
            case BuiltinKind.User:
                reader.Profile();
                reader.Relate(reader.Refs("memberOf", "Group", required: true), RelationTypes.MemberOf);
                break;
            case BuiltinKind.Location:
                context.LocationType = reader.String("type");
                context.LocationTargets = reader.LocationTargets();
                reader.Presence();
                break;
            case BuiltinKind.Template:
                reader.String("type", required: true);
                reader.Steps();
                reader.Parameters();
                reader.Object("output");
                context.Owner = reader.Relate(reader.Ref("owner", DefaultKinds.Owner), RelationTypes.OwnedBy);
                break;
        }
    }

    /// <summary>Reads one entity's spec, reporting problems with <c>spec.</c> field paths.</summary>
    private sealed class SpecReader(EntityProcessingContext context, JsonObject spec, EntityRef self)
    {
        private readonly string _namespace = self.Namespace;

        public string? String(string key, bool required = false)
        {
            var field = "spec." + key;
            var value = required
                ? JsonFields.RequiredString(context, spec, key, field)
                : JsonFields.OptionalString(context, spec, key, field);
            if (value is { Length: 0 })
            {
                context.Error(field, "must not be empty");
                return null;
            }

            return value;
        }

        public void Object(string key)
        {
            if (spec.TryGetPropertyValue(key, out var node) && node is not JsonObject)
            {
                context.Error("spec." + key, $"must be an object, found {DescriptorText.Describe(node)}");
            }
        }

        /// <summary>
        /// A Group's or User's <c>profile</c>: an object, whose <c>picture</c> a portal shows as an image, so it is held to
        /// the rule of <c>metadata.links</c>.
        /// </summary>
        public void Profile()
        {
            Object("profile");
            if (spec["profile"] is JsonObject profile
                && JsonFields.OptionalString(context, profile, "picture", "spec.profile.picture") is { Length: > 0 } picture
                && !DescriptorRules.IsSafeUrl(picture))
            {
                EnvelopeProcessor.UnsafeUrl(context, "spec.profile.picture", self.Canonical, "picture", picture);
            }
        }

        public EntityRef? Ref(string key, string? defaultKind, bool required = false)
        {
            if (!spec.TryGetPropertyValue(key, out var node) || node is null)
            {
                if (required)
                {
                    context.Error("spec." + key, "is required");
                }

                return null;
            }

            return ParseRef(node, "spec." + key, key, defaultKind);
        }

        public List<EntityRef> Refs(string key, string? defaultKind, bool required = false)
        {
            var refs = new List<EntityRef>();
            var field = "spec." + key;
            if (!spec.TryGetPropertyValue(key, out var node) || node is null)
            {
                if (required)
                {
                    context.Error(field, "is required (an empty array is fine)");
                }

                return refs;
            }

            if (node is not JsonArray items)
            {
                context.Error(field, $"must be an array of entity references, found {DescriptorText.Describe(node)}");
                return refs;
            }

            for (var i = 0; i < items.Count; i++)
            {
                if (ParseRef(items[i], $"{field}[{i}]", key, defaultKind) is { } target)
                {
                    refs.Add(target);
                }
            }

            return refs;
        }

        /// <summary>Emits the relation from this entity and its reverse from the target; returns the target.</summary>
        public EntityRef? Relate(EntityRef? target, string type)
        {
            if (target is not null)
            {
                context.EmitRelation(new EntityRelation(self, type, target));
                context.EmitRelation(new EntityRelation(target, RelationTypes.Reverse[type], self));
            }

            return target;
        }

        public void Relate(List<EntityRef> targets, string type)
        {
            foreach (var target in targets)
            {
                Relate(target, type);
            }
        }

        public void Definition()
        {
            // A "$text: ./openapi.yaml" placeholder is resolved by Backstage's PlaceholderProcessor before validation.
            // This catalog does not resolve placeholders yet, so say so instead of only "must be a string".
            if (spec["definition"] is JsonObject placeholder
                && placeholder.Count == 1
                && placeholder.First().Key is "$text" or "$json" or "$yaml")
            {
                context.Error("spec.definition", $"the {placeholder.First().Key} placeholder is not supported; write the definition inline");
                return;
            }

            String("definition", required: true);
        }

        public List<string> LocationTargets()
        {
            var targets = new List<string>();
            if (String("target") is { } target)
            {
                targets.Add(target);
            }

            if (!spec.TryGetPropertyValue("targets", out var node))
            {
                return targets;
            }

            if (node is not JsonArray items)
            {
                context.Error("spec.targets", $"must be an array of strings, found {DescriptorText.Describe(node)}");
                return targets;
            }

            for (var i = 0; i < items.Count; i++)
            {
                if (JsonFields.AsString(items[i]) is { Length: > 0 } item)
                {
                    targets.Add(item);
                }
                else
                {
                    context.Error($"spec.targets[{i}]", $"must be a non-empty string, found {DescriptorText.Describe(items[i])}");
                }
            }

            return targets;
        }

        public void Presence()
        {
            if (String("presence") is { } presence && presence is not ("required" or "optional"))
            {
                context.Error("spec.presence", $"{DescriptorText.Quote(presence)} is not a presence; use required or optional");
            }
        }

        public void Steps()
        {
            var node = spec["steps"];
            if (node is null)
            {
                context.Error("spec.steps", "is required");
                return;
            }

            if (node is not JsonArray steps)
            {
                context.Error("spec.steps", $"must be an array, found {DescriptorText.Describe(node)}");
                return;
            }

            for (var i = 0; i < steps.Count; i++)
            {
                if (steps[i] is JsonObject step)
                {
                    JsonFields.RequiredString(context, step, "action", $"spec.steps[{i}].action");
                }
                else
                {
                    context.Error($"spec.steps[{i}]", $"must be an object, found {DescriptorText.Describe(steps[i])}");
                }
            }
        }

        public void Parameters()
        {
            if (spec.TryGetPropertyValue("parameters", out var node) && node is not (JsonObject or JsonArray))
            {
                context.Error("spec.parameters", $"must be an object or an array of objects, found {DescriptorText.Describe(node)}");
            }
        }

        private EntityRef? ParseRef(JsonNode? node, string field, string key, string? defaultKind)
        {
            if (JsonFields.AsString(node) is { } text)
            {
                if (EntityRef.TryParse(text, defaultKind, _namespace, out var parsed, out var error))
                {
                    return parsed;
                }

                // A field without a default kind (dependsOn, dependencyOf) fails on an unqualified name; say which
                // kinds it takes rather than only that the kind is missing.
                context.Error(field, defaultKind is null && EntityRef.TryParse(text, "component", _namespace, out _, out _)
                    ? $"{DescriptorText.Quote(text)} has no kind: spec.{key} entries must name theirs, e.g. {DescriptorText.Quote("resource:" + text)} or {DescriptorText.Quote("component:" + text)}"
                    : error);
                return null;
            }

            if (node is JsonObject compound)
            {
                return ParseCompoundRef(compound, field, defaultKind);
            }

            context.Error(field, $"must be an entity reference ([<kind>:][<namespace>/]<name>, or an object with kind, namespace and name), found {DescriptorText.Describe(node)}");
            return null;
        }

        private EntityRef? ParseCompoundRef(JsonObject compound, string field, string? defaultKind)
        {
            var valid = true;
            string? Part(string key)
            {
                if (!compound.TryGetPropertyValue(key, out var node) || node is null)
                {
                    return null;
                }

                if (JsonFields.AsString(node) is { Length: > 0 } value)
                {
                    return value;
                }

                context.Error($"{field}.{key}", $"must be a non-empty string, found {DescriptorText.Describe(node)}");
                valid = false;
                return null;
            }

            var kind = Part("kind") ?? defaultKind;
            var @namespace = Part("namespace") ?? _namespace;
            var name = Part("name");
            if (!valid)
            {
                return null;
            }

            if (name is null)
            {
                context.Error(field + ".name", "is required");
                return null;
            }

            if (kind is null)
            {
                context.Error(field + ".kind", "is required: this field has no default kind");
                return null;
            }

            return new EntityRef(kind, @namespace, name);
        }
    }
}
