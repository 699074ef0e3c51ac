using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.Options;
using Portal.Catalog;
using Portal.Catalog.Locations;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Protection;
using Portal.Gateway.Hosting.Authorization;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>The catalog's root query fields: one entity, pages of entities, batches by ref, facets, nodes, locations.</summary>
internal static class CatalogQueryFields
{
    public static void AddTo(ObjectGraphType query)
    {
        GraphQLAuthorizationRule.Reads(query.Field<EntityInterface>("entity"), CatalogOperations.EntitiesRead)
            .Description("One entity by reference (kind:namespace/name; the namespace defaults to default). Null when there is none.")
            .Argument<NonNullGraphType<StringGraphType>>("ref")
            .Resolve(c => c.Portal().Entities.Load(ParseRef(c.GetArgument<string>("ref"), "ref").Canonical, EntitySelection.PartsFor(c)));

        GraphQLAuthorizationRule.Reads(query.Field<NonNullGraphType<ListGraphType<EntityInterface>>>("entitiesByRefs"), CatalogOperations.EntitiesRead)
            .Description($"Entities by reference, in the order asked, null where there is none; at most {CatalogLimits.MaxRefsPerRequest}.")
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("refs")
            .ResolveAsync(async c =>
            {
                var refs = c.GetArgument<List<string>>("refs");
                if (refs.Count > CatalogLimits.MaxRefsPerRequest)
                {
                    throw new InvalidQueryException($"refs holds {refs.Count} references; ask for at most {CatalogLimits.MaxRefsPerRequest} at a time.");
                }

                var keys = refs.Select((r, i) => ParseRef(r, $"refs[{i}]").Canonical).ToList();
                return await c.Portal().Entities.GetAsync(keys, EntitySelection.PartsFor(c), c.CancellationToken);
            });

        GraphQLAuthorizationRule.Reads(query.Field<NonNullGraphType<EntityConnectionGraphType>>("entities"), CatalogOperations.EntitiesRead)
            .Description("A page of entities. filter: a list of filters, any of which may match (each one's conditions all must). search: a case-insensitive substring of name, title, description or tags.")
            .Argument<ListGraphType<NonNullGraphType<EntityFilterInputType>>>("filter")
            .Argument<StringGraphType>("search")
            .Argument<ListGraphType<NonNullGraphType<EntityOrderInputType>>>("orderBy")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 20)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async c =>
            {
                var maxPage = c.Service<IOptions<GraphQLOptions>>().Value.MaxPageSize;
                var first = c.GetArgument("first", 20);
                if (first < 1 || first > maxPage)
                {
                    throw new InvalidQueryException($"first must be between 1 and {maxPage}; got {first}.");
                }

                var search = c.GetArgument<string?>("search");
                if (search is { Length: > CatalogLimits.MaxSearchLength })
                {
                    throw new InvalidQueryException($"search is {search.Length} characters; at most {CatalogLimits.MaxSearchLength}.");
                }

                var orderBy = c.GetArgument<List<EntityOrderInput>?>("orderBy") ?? [];
                if (orderBy.Count > CatalogLimits.MaxOrderFields)
                {
                    throw new InvalidQueryException($"orderBy names {orderBy.Count} fields; at most {CatalogLimits.MaxOrderFields}.");
                }

                var page = await c.Service<EntityQueryService>().QueryAsync(new EntityQuery
                {
                    Filter = EntityFilterInputType.ToCatalogFilter(c.GetArgument<List<EntityFilterInput>?>("filter")),
                    FullText = string.IsNullOrWhiteSpace(search) ? null : new FullTextFilter(search),
                    Order = orderBy.Select(o => new EntityOrder(o.Field, o.Direction == SortDirection.Desc)).ToList(),
                    Limit = first,
                    Cursor = c.GetArgument<string?>("after"),

                    // The total is one more aggregate: only when the query selects it.
                    IncludeTotal = c.SubFields?.ContainsKey("totalCount") ?? false,
                    Parts = EntitySelection.NodePartsFor(c),
                    Include = EntitySelection.OwnerAndSystemPartsFor(c) is { } related
                        ? new RelatedEntities(EntityReferences.Owner | EntityReferences.System, related)
                        : null,
                }, c.CancellationToken);
                c.Portal().Entities.Prime(page.Items);
                c.Portal().Entities.Prime(page.Related);
                return page;
            });

        GraphQLAuthorizationRule.Reads(query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<FacetGraphType>>>>("facets"), CatalogOperations.EntitiesRead)
            .Description("Value counts per field (kind, spec.type, metadata.tags, any dot path) over the entities the filter matches.")
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("fields")
            .Argument<ListGraphType<NonNullGraphType<EntityFilterInputType>>>("filter")
            .ResolveAsync(async c =>
            {
                var fields = c.GetArgument<List<string>>("fields");
                var facets = await c.Service<EntityQueryService>().FacetsAsync(
                    fields, EntityFilterInputType.ToCatalogFilter(c.GetArgument<List<EntityFilterInput>?>("filter")), c.CancellationToken);
                return fields.Select(f => new Facet(f, facets.GetValueOrDefault(f) ?? [])).ToList();
            });

        GraphQLAuthorizationRule.Reads(query.Field<NodeInterface>("node"), CatalogOperations.EntitiesRead)
            .Description("Any object by its global id.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Resolve(c => EntityId.RefOf(c.GetArgument<string>("id")) is { } entityRef
                ? c.Portal().Entities.Load(entityRef, EntitySelection.PartsFor(c))
                : throw new InvalidQueryException($"id {c.GetArgument<string>("id")} is not a Portal node id."));

        GraphQLAuthorizationRule.Reads(query.Field<NonNullGraphType<ListGraphType<NonNullGraphType<LocationGraphType>>>>("locations"), CatalogOperations.LocationsRead)
            .Description("Registered locations, with the problems of their last read.")
            .ResolveAsync(async c => await c.Service<LocationService>().ListAsync(c.CancellationToken));

        GraphQLAuthorizationRule.Reads(query.Field<LocationGraphType>("location"), CatalogOperations.LocationsRead)
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c => await c.Service<LocationService>().GetAsync(ParseLocationId(c.GetArgument<string>("id")), c.CancellationToken));
    }

    public static EntityRef ParseRef(string text, string argument) =>
        EntityRef.TryParseRequested(text, null, out var parsed, out var error)
            ? parsed
            : throw new InvalidQueryException($"{argument}: {error}");

    public static Guid ParseLocationId(string text) =>
        Guid.TryParse(text, out var id) ? id : throw new InvalidQueryException($"id: {text} is not a location id (a UUID).");
}
