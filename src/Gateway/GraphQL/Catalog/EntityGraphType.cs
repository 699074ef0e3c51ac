using System.Text.Json.Nodes;
using GraphQL;
using GraphQL.Types;
using Portal.Catalog;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Catalog.Kinds;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Execution.Prepared;
using Portal.Gateway.GraphQL.Scalars;

namespace Portal.Gateway.GraphQL.Catalog;

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
            .Resolve(c => EntityFields.FromDocument(c, e => EntityFields.Descriptor(e)["spec"]?[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null));

    /// <summary>spec.type and spec.lifecycle have their own columns: pages that show them never parse the document.</summary>
    protected void SpecType() => Field<StringGraphType>("type").Description("spec.type").ResolveProperty(e => e.Type);

    protected void SpecLifecycle() => Field<StringGraphType>("lifecycle").Description("spec.lifecycle").ResolveProperty(e => e.Lifecycle);

    protected void SpecJson(string field) =>
        Field<JsonGraphType>(field).Description($"spec.{field}").Reads(EntityParts.Document)
            .Resolve(c => EntityFields.FromDocument(c, e => EntityFields.Descriptor(e)["spec"]?[field]?.DeepClone()));

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
    /// and systems along (<see cref="EntityQuery.Include"/>): those resolve at once, without a batch.
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
        OneFromColumn("system", e => e.SystemEntityRef, "spec.system");

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
                if (depth is < 1 or > CatalogLimits.MaxGraphDepth)
                {
                    throw new InvalidQueryException($"depth must be between 1 and {CatalogLimits.MaxGraphDepth}; got {depth}.");
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

    // Called inside With(EntityParts.Relations, ...), which read them.
    private static IEnumerable<string> Targets(CatalogEntity entity, string relationType, string? targetKind) =>
        (entity.Relations ?? [])
            .Where(r => r.Type == relationType && (targetKind is null || r.TargetRef.StartsWith(targetKind + ":", StringComparison.Ordinal)))
            .Select(r => r.TargetRef);
}
