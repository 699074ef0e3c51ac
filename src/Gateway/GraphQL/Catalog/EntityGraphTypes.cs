using System.Text;
using System.Text.Json.Nodes;
using GraphQL;
using GraphQL.Types;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Execution.Prepared;
using Portal.Gateway.GraphQL.Scalars;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>Relay's object identification: any object with a global id.</summary>
public sealed class NodeInterface : InterfaceGraphType<CatalogEntity>
{
    public NodeInterface()
    {
        Name = "Node";
        Field<NonNullGraphType<IdGraphType>>("id").Description("A global id, stable while the entity keeps its ref.");
        ResolveType = EntityGraphType.ResolverFor(this);
    }
}

/// <summary>What every entity has, whatever its kind.</summary>
public sealed class EntityInterface : InterfaceGraphType<CatalogEntity>
{
    public EntityInterface()
    {
        Name = "Entity";
        Description = "A catalog entity in Backstage's descriptor format.";
        // Interfaces carry no resolvers: copy the shape of the common fields from an object type that has them.
        foreach (var field in new CommonFields().Fields)
        {
            AddField(new FieldType { Name = field.Name, Type = field.Type, Description = field.Description, Arguments = field.Arguments });
        }

        ResolveType = EntityGraphType.ResolverFor(this);
    }

    private sealed class CommonFields : ObjectGraphType<CatalogEntity>
    {
        public CommonFields() => EntityFields.AddCommon(this);
    }
}

/// <summary>Global ids: base64 of <c>Entity:&lt;ref&gt;</c>, so a node can be fetched back without another table.</summary>
public static class EntityId
{
    private const string Prefix = "Entity:";

    public static string For(string entityRef) => Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + entityRef));

    public static string? RefOf(string id)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(id));
            return text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>The fields shared by the interface and every kind's type.</summary>
internal static class EntityFields
{
    public static void AddCommon(ObjectGraphType<CatalogEntity> graph)
    {
        graph.Field<NonNullGraphType<IdGraphType>>("id").ResolveProperty(e => EntityId.For(e.Ref));
        graph.Field<NonNullGraphType<StringGraphType>>("ref").Description("kind:namespace/name, lower-case.").ResolveProperty(e => e.Ref);
        graph.Field<NonNullGraphType<StringGraphType>>("uid").Description("metadata.uid").ResolveProperty(e => e.Uid.ToString());
        graph.Field<NonNullGraphType<StringGraphType>>("etag").Description("metadata.etag: pass it back to upsertEntity/deleteEntity to write only if nobody else did.").ResolveProperty(e => e.Etag);
        graph.Field<NonNullGraphType<StringGraphType>>("kind").ResolveProperty(e => e.Kind);
        graph.Field<NonNullGraphType<StringGraphType>>("namespace").ResolveProperty(e => e.Namespace);
        graph.Field<NonNullGraphType<StringGraphType>>("name").ResolveProperty(e => e.Name);
        graph.Field<StringGraphType>("title").ResolveProperty(e => e.Title);
        graph.Field<StringGraphType>("description").ResolveProperty(e => e.Description);
        graph.Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("tags").Reads(EntityParts.Document)
            .Resolve(c => FromDocument(c, e => Metadata(e)?["tags"] is JsonArray tags ? tags.Select(t => t?.GetValue<string>()).OfType<string>().ToList() : []));
        graph.Field<NonNullGraphType<JsonGraphType>>("labels").Description("metadata.labels as an object.").Reads(EntityParts.Document)
            .Resolve(c => FromDocument(c, e => Metadata(e)?["labels"]?.DeepClone() ?? new JsonObject()));
        graph.Field<NonNullGraphType<JsonGraphType>>("annotations").Description("metadata.annotations as an object.").Reads(EntityParts.Document)
            .Resolve(c => FromDocument(c, e => Metadata(e)?["annotations"]?.DeepClone() ?? new JsonObject()));
        graph.Field<NonNullGraphType<ListGraphType<NonNullGraphType<LinkGraphType>>>>("links").Reads(EntityParts.Document)
            .Resolve(c => FromDocument(c, e => Metadata(e)?["links"] is JsonArray links ? links.OfType<JsonObject>().ToList() : []));
        graph.Field<JsonGraphType>("spec").Description("The descriptor's spec, as written.").Reads(EntityParts.Document)
            .Resolve(c => FromDocument(c, e => e.Document["spec"]?.DeepClone()));
        // With the dangling-relation warnings always, as REST by-name shows them, whatever else the query selects.
        graph.Field<NonNullGraphType<JsonGraphType>>("descriptor").Description("The whole descriptor in Backstage's REST shape (metadata.uid/etag, relations, status).")
            .Reads(EntityParts.All | EntityParts.DanglingWarnings)
            .Resolve(c => c.Portal().Entities.With(EntityParts.All | EntityParts.DanglingWarnings, c.Source, entity => entity.ToBackstageJson()));
        graph.Field<NonNullGraphType<BooleanGraphType>>("orphan").Description("Its location no longer emits it (kept by Catalog:OrphanStrategy=Keep).").ResolveProperty(e => e.Orphan);
        graph.Field<IdGraphType>("locationId").Description("The location that manages it; null for API-managed entities.").ResolveProperty(e => e.LocationId);
        graph.Field<NonNullGraphType<DateTimeOffsetGraphType>>("createdAt").ResolveProperty(e => e.CreatedAt);
        graph.Field<NonNullGraphType<DateTimeOffsetGraphType>>("updatedAt").ResolveProperty(e => e.UpdatedAt);
        graph.Field<NonNullGraphType<ListGraphType<NonNullGraphType<RelationGraphType>>>>("relations")
            .Description("Relations from this entity, optionally of one type (ownedBy, dependsOn, ...).")
            .Argument<StringGraphType>("type")
            .Reads(EntityParts.Relations)
            .Resolve(c =>
            {
                var relationType = c.GetArgument<string?>("type");
                return c.Portal().Entities.With(EntityParts.Relations, c.Source, entity => relationType is null
                    ? entity.Relations
                    : entity.Relations.Where(r => r.Type.Equals(relationType, StringComparison.OrdinalIgnoreCase)).ToList());
            });
        graph.Field<NonNullGraphType<ListGraphType<NonNullGraphType<StatusItemGraphType>>>>("status")
            .Description("Processing errors and warnings (status.items), with a warning per relation whose target is not in the catalog (as the REST API shows them).")
            .Reads(EntityParts.DanglingWarnings)
            .Resolve(c => c.Portal().Entities.With(EntityParts.DanglingWarnings, c.Source, entity => entity.Status));
        graph.Field<NonNullGraphType<ListGraphType<NonNullGraphType<HistoryItemGraphType>>>>("history")
            .Description("Recorded changes, newest first.")
            .Argument<IntGraphType>("limit", a => a.DefaultValue = 20)
            .ResolveAsync(async c => await c.Service<EntityQueryService>().HistoryAsync(c.Source.Ref, Math.Clamp(c.GetArgument("limit", 20), 1, 100), c.CancellationToken));
    }

    private static JsonObject? Metadata(CatalogEntity entity) => entity.Document["metadata"] as JsonObject;

    /// <summary>A value from the descriptor, which the loader reads first if the entity was read without it.</summary>
    public static object? FromDocument<T>(IResolveFieldContext<CatalogEntity> context, Func<CatalogEntity, T> value) =>
        context.Portal().Entities.With(EntityParts.Document, context.Source, value);
}

/// <summary>One kind's object type: the common fields, its spec fields and its typed relations.</summary>
public abstract class EntityGraphType : ObjectGraphType<CatalogEntity>
{
    private static readonly Dictionary<string, Type> TypesByKind = new(StringComparer.OrdinalIgnoreCase)
    {
        ["component"] = typeof(ComponentGraphType),
        ["api"] = typeof(ApiGraphType),
        ["resource"] = typeof(ResourceGraphType),
        ["system"] = typeof(SystemGraphType),
        ["domain"] = typeof(DomainGraphType),
        ["group"] = typeof(GroupGraphType),
        ["user"] = typeof(UserGraphType),
        ["location"] = typeof(LocationEntityGraphType),
        ["template"] = typeof(TemplateGraphType),
    };

    protected EntityGraphType(string name, string description)
    {
        Name = name;
        Description = description;
        Interface<NodeInterface>();
        Interface<EntityInterface>();
        EntityFields.AddCommon(this);
        var self = GetType();
        IsTypeOf = value => value is CatalogEntity entity && ForKind(entity.Kind) == self;
    }

    /// <summary>
    /// The object type of an entity returned where an interface is expected, by its kind: one lookup, where without it
    /// the executor asks each kind's type in turn (<see cref="ObjectGraphType{TSourceType}.IsTypeOf"/>) for every entity.
    /// </summary>
    internal static Func<object, IObjectGraphType?> ResolverFor(IAbstractGraphType abstractType)
    {
        // The interface's possible types are known once the schema is built, before any execution.
        Dictionary<Type, IObjectGraphType>? byClass = null;
        return value =>
        {
            byClass ??= abstractType.PossibleTypes.ToDictionary(type => type.GetType());
            return value is CatalogEntity entity ? byClass.GetValueOrDefault(ForKind(entity.Kind)) : null;
        };
    }

    /// <summary>Every kind's type, for the schema to register: fields return the interface, so none is reachable otherwise.</summary>
    public static IEnumerable<Type> KindTypes => TypesByKind.Values.Append(typeof(GenericEntityGraphType));

    /// <summary>The GraphQL type for a kind; kinds outside Backstage's nine are GenericEntity.</summary>
    public static Type ForKind(string kind) => TypesByKind.GetValueOrDefault(kind, typeof(GenericEntityGraphType));

    protected void SpecString(string field, string? description = null) =>
        Field<StringGraphType>(field).Description(description ?? $"spec.{field}").Reads(EntityParts.Document)
            .Resolve(c => EntityFields.FromDocument(c, e => e.Document["spec"]?[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null));

    /// <summary>spec.type and spec.lifecycle have their own columns: pages that show them never parse the document.</summary>
    protected void SpecType() => Field<StringGraphType>("type").Description("spec.type").ResolveProperty(e => e.Type);

    protected void SpecLifecycle() => Field<StringGraphType>("lifecycle").Description("spec.lifecycle").ResolveProperty(e => e.Lifecycle);

    protected void SpecJson(string field) =>
        Field<JsonGraphType>(field).Description($"spec.{field}").Reads(EntityParts.Document)
            .Resolve(c => EntityFields.FromDocument(c, e => e.Document["spec"]?[field]?.DeepClone()));

    /// <summary>The first target of a relation type (optionally of one kind), loaded in the execution's batch.</summary>
    protected void One(string field, string relationType, string? targetKind, string description) =>
        Field<EntityInterface>(field).Description(description).Reads(EntityParts.Relations).Resolve(c =>
        {
            var parts = EntitySelection.PartsFor(c);
            var entities = c.Portal().Entities;
            return entities.With(EntityParts.Relations, c.Source, source =>
                Targets(source, relationType, targetKind).FirstOrDefault() is { } target ? entities.Load(target, parts) : null);
        });

    /// <summary>
    /// spec.owner and spec.system: their targets are columns of the entity's row (the same refs as its ownedBy and
    /// partOf-system relations), so showing an owner or a system never needs the relations. A page brings its owners
    /// and systems along (<see cref="EntityQuery.OwnersAndSystems"/>): those resolve at once, without a batch.
    /// </summary>
    protected void OneFromColumn(string field, Func<CatalogEntity, string?> target, string description) =>
        Field<EntityInterface>(field).Description(description).Resolve(c =>
        {
            if (target(c.Source) is not { } targetRef)
            {
                return null;
            }

            var parts = EntitySelection.PartsFor(c);
            var entities = c.Portal().Entities;
            return entities.TryGet(targetRef, parts, out var loaded) ? loaded : entities.Load(targetRef, parts);
        });

    protected void Owner() => OneFromColumn("owner", e => e.OwnerRef, "spec.owner");

    protected void System() =>
        OneFromColumn("system", e => e.SystemRef is { } system && system.StartsWith("system:", StringComparison.Ordinal) ? system : null, "spec.system");

    /// <summary>Every target of a relation type that exists in the catalog, loaded in the execution's batch.</summary>
    protected void Many(string field, string relationType, string? targetKind, string description) =>
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EntityInterface>>>>(field).Description(description).Reads(EntityParts.Relations)
            .Resolve(c =>
            {
                var parts = EntitySelection.PartsFor(c);
                var entities = c.Portal().Entities;
                return entities.With(EntityParts.Relations, c.Source, source => entities.LoadMany(Targets(source, relationType, targetKind), parts));
            });

    /// <summary>dependencies(depth) / dependents(depth): the transitive dependsOn graph.</summary>
    protected void Graph(string field, GraphDirection direction, string description) =>
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EntityInterface>>>>(field)
            .Description(description + " Nearest first; at most `first` entities (the complexity limit counts them).")
            .Argument<IntGraphType>("depth", a => a.DefaultValue = 3)
            .Argument<IntGraphType>("first", a => a.DefaultValue = MaxGraphEntities)
            .ResolveAsync(async c =>
            {
                var depth = c.GetArgument("depth", 3);
                if (depth is < 1 or > EntityQueryService.MaxGraphDepth)
                {
                    throw new InvalidQueryException($"depth must be between 1 and {EntityQueryService.MaxGraphDepth}; got {depth}.");
                }

                var first = c.GetArgument("first", MaxGraphEntities);
                if (first is < 1 or > MaxGraphEntities)
                {
                    throw new InvalidQueryException($"first must be between 1 and {MaxGraphEntities}; got {first}.");
                }

                var reachable = await c.Service<EntityQueryService>().GraphAsync(c.Source.Ref, direction, depth, c.CancellationToken, limit: first);
                return c.Portal().Entities.LoadMany(reachable.Select(r => r.Ref), EntitySelection.PartsFor(c));
            });

    /// <summary>Most entities one dependencies/dependents field returns: a hub's graph must not load the catalog.</summary>
    public const int MaxGraphEntities = 100;

    private static IEnumerable<string> Targets(CatalogEntity entity, string relationType, string? targetKind) =>
        entity.Relations
            .Where(r => r.Type == relationType && (targetKind is null || r.TargetRef.StartsWith(targetKind + ":", StringComparison.Ordinal)))
            .Select(r => r.TargetRef);
}

public sealed class ComponentGraphType : EntityGraphType
{
    public ComponentGraphType()
        : base("Component", "A piece of software: a service, website, library.")
    {
        SpecType();
        SpecLifecycle();
        Owner();
        System();
        Many("partOf", RelationTypes.PartOf, null, "Systems and components this is part of.");
        Many("hasPart", RelationTypes.HasPart, null, "Subcomponents.");
        Many("providesApis", RelationTypes.ProvidesApi, null, "spec.providesApis");
        Many("consumesApis", RelationTypes.ConsumesApi, null, "spec.consumesApis");
        Many("dependsOn", RelationTypes.DependsOn, null, "spec.dependsOn");
        Many("dependencyOf", RelationTypes.DependencyOf, null, "What depends on this directly.");
        Graph("dependencies", GraphDirection.Dependencies, "What this depends on, transitively, up to depth steps.");
        Graph("dependents", GraphDirection.Dependents, "What depends on this, transitively, up to depth steps.");
    }
}

public sealed class ApiGraphType : EntityGraphType
{
    public ApiGraphType()
        : base("API", "An interface components provide and consume.")
    {
        SpecType();
        SpecLifecycle();
        SpecString("definition", "The API definition (OpenAPI, AsyncAPI, GraphQL SDL, ...).");
        Owner();
        System();
        Many("partOf", RelationTypes.PartOf, null, "Systems this is part of.");
        Many("apiProvidedBy", RelationTypes.ApiProvidedBy, null, "Components providing this API.");
        Many("apiConsumedBy", RelationTypes.ApiConsumedBy, null, "Components consuming this API.");
        Many("dependsOn", RelationTypes.DependsOn, null, "spec.dependsOn");
        Many("dependencyOf", RelationTypes.DependencyOf, null, "What depends on this directly.");
        Graph("dependencies", GraphDirection.Dependencies, "What this depends on, transitively.");
        Graph("dependents", GraphDirection.Dependents, "What depends on this, transitively.");
    }
}

public sealed class ResourceGraphType : EntityGraphType
{
    public ResourceGraphType()
        : base("Resource", "Infrastructure a component needs: a database, a bucket, a queue.")
    {
        SpecType();
        Owner();
        System();
        Many("partOf", RelationTypes.PartOf, null, "Systems this is part of.");
        Many("dependsOn", RelationTypes.DependsOn, null, "spec.dependsOn");
        Many("dependencyOf", RelationTypes.DependencyOf, null, "What depends on this directly.");
        Graph("dependencies", GraphDirection.Dependencies, "What this depends on, transitively.");
        Graph("dependents", GraphDirection.Dependents, "What depends on this, transitively.");
    }
}

public sealed class SystemGraphType : EntityGraphType
{
    public SystemGraphType()
        : base("System", "A collection of components, APIs and resources that together expose some functionality.")
    {
        SpecType();
        Owner();
        One("domain", RelationTypes.PartOf, "domain", "spec.domain");
        Many("partOf", RelationTypes.PartOf, null, "Domains this is part of.");
        Many("hasPart", RelationTypes.HasPart, null, "Components, APIs and resources of this system.");
        Many("dependsOn", RelationTypes.DependsOn, null, "spec.dependsOn");
        Many("dependencyOf", RelationTypes.DependencyOf, null, "What depends on this directly.");
    }
}

public sealed class DomainGraphType : EntityGraphType
{
    public DomainGraphType()
        : base("Domain", "A business area grouping systems.")
    {
        SpecType();
        Owner();
        One("domain", RelationTypes.PartOf, "domain", "spec.subdomainOf");
        Many("partOf", RelationTypes.PartOf, null, "Parent domains.");
        Many("hasPart", RelationTypes.HasPart, null, "Systems and subdomains of this domain.");
    }
}

public sealed class GroupGraphType : EntityGraphType
{
    public GroupGraphType()
        : base("Group", "A team or organisational unit.")
    {
        SpecType();
        SpecJson("profile");
        One("parent", RelationTypes.ChildOf, null, "spec.parent");
        Many("children", RelationTypes.ParentOf, null, "spec.children");
        Many("members", RelationTypes.HasMember, null, "Users in this group.");
        Many("ownerOf", RelationTypes.OwnerOf, null, "Entities this group owns.");
    }
}

public sealed class UserGraphType : EntityGraphType
{
    public UserGraphType()
        : base("User", "A person.")
    {
        SpecJson("profile");
        Many("memberOf", RelationTypes.MemberOf, null, "spec.memberOf");
        Many("ownerOf", RelationTypes.OwnerOf, null, "Entities this user owns.");
    }
}

public sealed class LocationEntityGraphType : EntityGraphType
{
    public LocationEntityGraphType()
        : base("LocationEntity", "A Location entity: a pointer to more descriptors.")
    {
        SpecType();
        SpecString("target");
        SpecJson("targets");
    }
}

public sealed class TemplateGraphType : EntityGraphType
{
    public TemplateGraphType()
        : base("Template", "A scaffolder template.")
    {
        SpecType();
        Owner();
        SpecJson("parameters");
        SpecJson("steps");
    }
}

/// <summary>Any kind outside Backstage's nine, stored with a valid envelope.</summary>
public sealed class GenericEntityGraphType : EntityGraphType
{
    public GenericEntityGraphType()
        : base("GenericEntity", "An entity of a kind Portal has no dedicated type for.")
    {
        Many("ownerOf", RelationTypes.OwnerOf, null, "Entities this one owns.");
    }
}

public sealed class LinkGraphType : ObjectGraphType<JsonObject>
{
    public LinkGraphType()
    {
        Name = "Link";
        Field<NonNullGraphType<StringGraphType>>("url").Resolve(c => (string?)c.Source["url"] ?? "");
        Field<StringGraphType>("title").Resolve(c => (string?)c.Source["title"]);
        Field<StringGraphType>("icon").Resolve(c => (string?)c.Source["icon"]);
        Field<StringGraphType>("type").Resolve(c => (string?)c.Source["type"]);
    }
}

public sealed class RelationGraphType : ObjectGraphType<RelationView>
{
    public RelationGraphType()
    {
        Name = "Relation";
        Field<NonNullGraphType<StringGraphType>>("type").ResolveProperty(r => r.Type);
        Field<NonNullGraphType<StringGraphType>>("targetRef").ResolveProperty(r => r.TargetRef);
        Field<EntityInterface>("target").Description("The target entity; null when it is not in the catalog (a dangling relation).")
            .Resolve(c => c.Portal().Entities.Load(c.Source.TargetRef, EntitySelection.PartsFor(c)));
    }
}

public sealed class StatusItemGraphType : ObjectGraphType<StatusItem>
{
    public StatusItemGraphType()
    {
        Name = "StatusItem";
        Field<NonNullGraphType<StringGraphType>>("type").ResolveProperty(item => item.Type);
        Field<NonNullGraphType<StringGraphType>>("level").ResolveProperty(item => item.Level);
        Field<NonNullGraphType<StringGraphType>>("message").ResolveProperty(item => item.Message);
    }
}

public sealed class HistoryItemGraphType : ObjectGraphType<HistoryItem>
{
    public HistoryItemGraphType()
    {
        Name = "HistoryItem";
        Field<NonNullGraphType<StringGraphType>>("change").Description("created, updated, deleted, orphaned.").ResolveProperty(item => item.Change);
        Field<NonNullGraphType<StringGraphType>>("actor").Description("The location or caller that made the change.").ResolveProperty(item => item.Actor);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("changedFields").Resolve(c => c.Source.ChangedFields);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").ResolveProperty(item => item.At);
    }
}
