using System.Text.Json.Nodes;
using GraphQL;
using GraphQL.Types;
using Portal.Catalog;
using Portal.Catalog.Queries;
using Portal.Gateway.Backstage.Catalog;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Execution.Prepared;
using Portal.Gateway.GraphQL.Scalars;

namespace Portal.Gateway.GraphQL.Catalog;

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
            .Resolve(c => FromDocument(c, e => Descriptor(e)["spec"]?.DeepClone()));
        // With the dangling-relation warnings always, as REST by-name shows them, whatever else the query selects.
        graph.Field<NonNullGraphType<JsonGraphType>>("descriptor").Description("The whole descriptor in Backstage's REST shape (metadata.uid/etag, relations, status).")
            .Reads(EntityParts.All | EntityParts.DanglingWarnings)
            .Resolve(c => c.Portal().Entities.With(EntityParts.All | EntityParts.DanglingWarnings, c.Source, EntityJson.ToElement));
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
                    : entity.Relations?.Where(r => r.Type.Equals(relationType, StringComparison.OrdinalIgnoreCase)).ToList());
            });
        graph.Field<NonNullGraphType<ListGraphType<NonNullGraphType<StatusItemGraphType>>>>("status")
            .Description("Processing errors and warnings (status.items), with a warning per relation whose target is not in the catalog (as the REST API shows them).")
            .Reads(EntityParts.DanglingWarnings)
            .Resolve(c => c.Portal().Entities.With(EntityParts.DanglingWarnings, c.Source, entity => entity.Status));
        graph.Field<NonNullGraphType<ListGraphType<NonNullGraphType<HistoryItemGraphType>>>>("history")
            .Description("Recorded changes, newest first.")
            .Argument<IntGraphType>("limit", a => a.DefaultValue = 20)
            .ResolveAsync(async c => await c.Service<EntityQueryService>().HistoryAsync(c.Source.Ref, Math.Clamp(c.GetArgument("limit", 20), 1, CatalogLimits.MaxHistoryItems), c.CancellationToken));
    }

    private static JsonObject? Metadata(CatalogEntity entity) => Descriptor(entity)["metadata"] as JsonObject;

    /// <summary>The descriptor of an entity <see cref="FromDocument"/> made sure was read with it.</summary>
    public static JsonObject Descriptor(CatalogEntity entity) =>
        (entity.Descriptor ?? throw new InvalidOperationException($"The descriptor of {entity.Ref} was not read.")).Json;

    /// <summary>A value from the descriptor, which the loader reads first if the entity was read without it.</summary>
    public static object? FromDocument<T>(IResolveFieldContext<CatalogEntity> context, Func<CatalogEntity, T> value) =>
        context.Portal().Entities.With(EntityParts.Document, context.Source, value);
}
