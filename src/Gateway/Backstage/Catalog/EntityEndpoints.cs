using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Extensions;
using Portal.Catalog;
using Portal.Catalog.Entities;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Locations;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Backstage.Catalog;

/// <summary>
/// The entity routes of Backstage's catalog REST API. Each handler reads and checks the whole request first, then
/// makes one call to a catalog service, then streams the answer.
/// </summary>
internal static class EntityEndpoints
{
    private const string Actor = "backstage-api";

    /// <summary><c>GET /entities/by-query</c>: <c>{items, totalItems, pageInfo: {nextCursor?, prevCursor?}}</c>.</summary>
    public static Task QueryAsync(HttpContext context)
    {
        var (query, fields) = CatalogRequestParser.ByQuery(context.Request.Query);
        return WritePageAsync(context, query, fields);
    }

    /// <summary><c>POST /entities/by-query</c>: the same page, asked for with a predicate body.</summary>
    public static async Task QueryByPredicateAsync(HttpContext context, BackstageApiOptions options)
    {
        using var body = await CatalogRequestBody.ReadAsync(context, options.MaxRequestBytes);
        var (query, fields) = CatalogRequestBody.ByQuery(body.RootElement);
        await WritePageAsync(context, query, fields);
    }

    /// <summary>
    /// <c>GET /entities</c>, Backstage's older list: a bare array. With a <c>limit</c>, one page and a
    /// <c>Link: &lt;...&amp;after=...&gt;; rel="next"</c> header; without, every match, streamed page by page.
    /// </summary>
    public static async Task ListAsync(HttpContext context)
    {
        var parameters = context.Request.Query;
        var fields = CatalogRequestParser.Fields(parameters["fields"]);
        var limit = CatalogRequestParser.Integer(parameters, "limit");
        if (limit == 0)
        {
            throw BackstageApiException.Input("Invalid limit, must be greater than zero.");
        }

        var offset = CatalogRequestParser.Integer(parameters, "offset") ?? 0;
        var after = CatalogRequestParser.Single(parameters, "after");
        if (after is { Length: 0 })
        {
            throw BackstageApiException.Input("Invalid after, must not be empty.");
        }

        var query = after is not null
            ? new EntityQuery { Cursor = after }
            : new EntityQuery { Filter = CatalogRequestParser.Filter(parameters["filter"]), Order = LegacyOrder(parameters["order"]), Offset = offset };
        query = query with
        {
            Limit = Math.Min(limit ?? CatalogLimits.MaxPageSize, CatalogLimits.MaxPageSize),
            IncludeTotal = false,
            Parts = EntityJson.PartsWritten(fields),
        };

        var queries = context.RequestServices.GetRequiredService<EntityQueryService>();
        var page = await queries.QueryAsync(query, context.RequestAborted);
        if (limit is not null && page.NextCursor is { } next)
        {
            context.Response.Headers.Link = NextPageLink(context.Request, next);
        }

        await using var json = BackstageResponses.Start(context);
        json.WriteStartArray();
        while (true)
        {
            foreach (var entity in page.Items)
            {
                EntityJson.Write(json, entity, fields);
                await BackstageResponses.FlushIfLargeAsync(json, context);
            }

            if (limit is not null || page.NextCursor is null)
            {
                break;
            }

            page = await queries.QueryAsync(query with { Cursor = page.NextCursor, Limit = CatalogLimits.MaxPageSize }, context.RequestAborted);
        }

        json.WriteEndArray();
        BackstageResponses.Finish(json);
    }

    /// <summary><c>GET /entities/by-name/{kind}/{namespace}/{name}</c>: the entity, or 404.</summary>
    public static async Task ByNameAsync(HttpContext context)
    {
        var (kind, @namespace, name) = NameParts(context);
        var entity = await context.RequestServices.GetRequiredService<EntityQueryService>()
            .GetAsync($"{kind}:{@namespace}/{name}", context.RequestAborted)
            ?? throw BackstageApiException.NotFound($"No entity named '{name}' found, with kind '{kind}' in namespace '{@namespace}'");
        await WriteEntityAsync(context, entity);
    }

    /// <summary><c>GET /entities/by-uid/{uid}</c>: the entity, or 404.</summary>
    public static async Task ByUidAsync(HttpContext context)
    {
        var text = (string)context.GetRouteValue("uid")!;
        var entity = Guid.TryParse(text, out var uid)
            ? await context.RequestServices.GetRequiredService<EntityQueryService>().GetByUidAsync(uid, context.RequestAborted)
            : null; // not a uid this catalog hands out, so there is nothing to look up
        await WriteEntityAsync(context, entity ?? throw BackstageApiException.NotFound($"No entity with uid {text}"));
    }

    /// <summary>
    /// <c>DELETE /entities/by-uid/{uid}</c>: 204, also for an unknown uid (as Backstage). An entity that a registered
    /// location manages is refused with 409: it would come straight back on the next refresh.
    /// </summary>
    public static async Task DeleteByUidAsync(HttpContext context)
    {
        if (Guid.TryParse((string)context.GetRouteValue("uid")!, out var uid)
            && await context.RequestServices.GetRequiredService<EntityQueryService>().GetByUidAsync(uid, context.RequestAborted) is { } entity)
        {
            await context.RequestServices.GetRequiredService<EntityService>().DeleteAsync(entity.Ref, null, Actor, context.RequestAborted);
        }

        await BackstageResponses.EmptyAsync(context, StatusCodes.Status204NoContent);
    }

    /// <summary><c>POST /entities/by-refs</c> <c>{entityRefs, fields?}</c>: <c>{items}</c> in the order asked, null for a miss.</summary>
    public static async Task ByRefsAsync(HttpContext context, BackstageApiOptions options)
    {
        if (context.Request.Query.ContainsKey("filter"))
        {
            throw BackstageApiException.Input("Invalid filter: filtering the entities of /entities/by-refs is not supported; ask /entities/by-query instead.");
        }

        using var body = await CatalogRequestBody.ReadAsync(context, options.MaxRequestBytes);
        if (!body.RootElement.TryGetProperty("entityRefs", out var refsElement) || refsElement.ValueKind != JsonValueKind.Array)
        {
            throw BackstageApiException.Input("Invalid request body: 'entityRefs' is required and must be an array of entity refs.");
        }

        if (refsElement.GetArrayLength() > CatalogLimits.MaxRefsPerRequest)
        {
            throw BackstageApiException.Input($"Invalid entityRefs: at most {CatalogLimits.MaxRefsPerRequest} refs per request.");
        }

        var refs = refsElement.EnumerateArray().Select((item, i) => CatalogRequestParser.EntityRefText(
            item.ValueKind == JsonValueKind.String ? item.GetString() : throw BackstageApiException.Input($"Invalid entityRefs[{i}]: expected a string."),
            $"entityRefs[{i}]")).ToList();
        var fields = CatalogRequestParser.Fields([.. CatalogRequestBody.Strings(body.RootElement, "fields"), .. context.Request.Query["fields"]]);

        var entities = refs.Count == 0
            ? []
            : await context.RequestServices.GetRequiredService<EntityQueryService>().GetManyAsync(refs, EntityJson.PartsWritten(fields), context.RequestAborted);

        await using var json = BackstageResponses.Start(context);
        json.WriteStartObject();
        json.WriteStartArray("items");
        foreach (var entity in entities)
        {
            if (entity is null)
            {
                json.WriteNullValue();
            }
            else
            {
                EntityJson.Write(json, entity, fields);
            }

            await BackstageResponses.FlushIfLargeAsync(json, context);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        BackstageResponses.Finish(json);
    }

    /// <summary><c>GET /entity-facets?facet=spec.type&amp;filter=...</c>: <c>{facets: {"spec.type": [{value, count}]}}</c>.</summary>
    public static Task FacetsAsync(HttpContext context)
    {
        var facets = CatalogRequestParser.Facets(context.Request.Query["facet"]);
        var filter = CatalogRequestParser.Filter(context.Request.Query["filter"]);
        return WriteFacetsAsync(context, facets, filter);
    }

    /// <summary><c>POST /entity-facets</c> <c>{facets, query?}</c>: the same answer, with a predicate filter.</summary>
    public static async Task FacetsByPredicateAsync(HttpContext context, BackstageApiOptions options)
    {
        using var body = await CatalogRequestBody.ReadAsync(context, options.MaxRequestBytes);
        var facets = CatalogRequestParser.Facets(CatalogRequestBody.Strings(body.RootElement, "facets"));
        var filter = body.RootElement.TryGetProperty("query", out var predicate) && predicate.ValueKind != JsonValueKind.Null
            ? PredicateParser.Parse(predicate, "query")
            : null;
        await WriteFacetsAsync(context, facets, filter);
    }

    /// <summary>
    /// <c>POST /refresh</c> <c>{entityRef}</c>: reads again the location that manages the entity (synchronously, so the
    /// change is visible when the call returns). An entity written through the API has nothing to re-read: 200.
    /// </summary>
    public static async Task RefreshAsync(HttpContext context, BackstageApiOptions options)
    {
        string entityRef;
        using (var body = await CatalogRequestBody.ReadAsync(context, options.MaxRequestBytes))
        {
            entityRef = CatalogRequestParser.EntityRefText(CatalogRequestBody.RequiredString(body.RootElement, "entityRef"), "entityRef");
        }

        // An API-managed entity has no location to read again: Backstage answers 200 and does nothing, and so does this.
        var refresh = await context.RequestServices.GetRequiredService<LocationService>().RefreshEntityAsync(entityRef, context.RequestAborted);
        switch (refresh.Result)
        {
            case EntityRefreshResult.NoSuchEntity:
                throw BackstageApiException.NotFound($"No entity with ref {entityRef}");
            case EntityRefreshResult.LocationGone:
                throw BackstageApiException.NotFound($"The location that manages {entityRef} was removed meanwhile.");
        }

        await BackstageResponses.EmptyAsync(context, StatusCodes.Status200OK);
    }

    /// <summary>
    /// <c>POST /validate-entity</c> <c>{entity, location}</c>: 200 when the catalog would accept the entity, else 400
    /// <c>{errors: [{name, message}]}</c> naming each field and rule (Backstage's shape for this route): the first
    /// <see cref="CatalogLimits.MaxProblemsReported"/>, then one more error counting the rest, and <c>errorCount</c>.
    /// </summary>
    public static async Task ValidateAsync(HttpContext context, BackstageApiOptions options)
    {
        using var body = await CatalogRequestBody.ReadAsync(context, options.MaxRequestBytes);
        var errors = new List<string>();
        var location = body.RootElement.TryGetProperty("location", out var locationElement) && locationElement.ValueKind == JsonValueKind.String
            ? locationElement.GetString()!
            : null;
        var colon = location?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (location is null || colon <= 0 || colon == location.Length - 1 || location.Length > CatalogLimits.MaxLocationTargetLength)
        {
            errors.Add($"Invalid location ref '{location}': 'location' is required, written <type>:<target>, e.g. url:https://host/path/catalog-info.yaml.");
        }

        if (!body.RootElement.TryGetProperty("entity", out var entityElement) || entityElement.ValueKind != JsonValueKind.Object)
        {
            errors.Add("Invalid entity: 'entity' is required and must be a JSON object.");
        }

        if (errors.Count == 0)
        {
            var pipeline = context.RequestServices.GetRequiredService<DescriptorPipeline>();
            var batch = pipeline.ProcessDocument(location!, 1, JsonObject.Create(entityElement)!);
            errors.AddRange(batch.Problems.Where(p => p.Level == ProblemLevel.Error).Select(p => p.ToString()));
        }

        if (errors.Count == 0)
        {
            await BackstageResponses.EmptyAsync(context, StatusCodes.Status200OK);
            return;
        }

        await using var json = BackstageResponses.Start(context, StatusCodes.Status400BadRequest);
        json.WriteStartObject();
        json.WriteStartArray("errors");
        foreach (var message in errors.Take(CatalogLimits.MaxProblemsReported))
        {
            json.WriteStartObject();
            json.WriteString("name", "InputError");
            json.WriteString("message", message);
            json.WriteEndObject();
        }

        // An entity of a thousand bad references has a thousand errors. Backstage's clients show each error of the
        // list, so the rest are counted in one more error of the same shape (as GraphQL's TOO_MANY_ERRORS does), and
        // errorCount, a member Backstage does not have, gives the number to a client that wants it without parsing.
        if (errors.Count > CatalogLimits.MaxProblemsReported)
        {
            json.WriteStartObject();
            json.WriteString("name", "InputError");
            json.WriteString("message", CatalogProblem.LeftOut(errors.Count));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("errorCount", errors.Count);
        json.WriteEndObject();
        BackstageResponses.Finish(json);
    }

    /// <summary>The <c>{kind}/{namespace}/{name}</c> route values, checked as the parts of an entity ref.</summary>
    public static (string Kind, string Namespace, string Name) NameParts(HttpContext context)
    {
        var kind = (string)context.GetRouteValue("kind")!;
        var @namespace = (string)context.GetRouteValue("namespace")!;
        var name = (string)context.GetRouteValue("name")!;
        if (kind.Contains(':', StringComparison.Ordinal) || @namespace.Contains(':', StringComparison.Ordinal))
        {
            throw BackstageApiException.Input($"Invalid entity ref in the path: a kind or namespace cannot contain ':' (got '{kind}' and '{@namespace}').");
        }

        CatalogRequestParser.EntityRefText($"{kind}:{@namespace}/{name}", "entity ref in the path");
        return (kind, @namespace, name);
    }

    private static async Task WritePageAsync(HttpContext context, EntityQuery query, FieldSelection fields)
    {
        query = query with { Parts = EntityJson.PartsWritten(fields) };
        var page = await context.RequestServices.GetRequiredService<EntityQueryService>().QueryAsync(query, context.RequestAborted);

        await using var json = BackstageResponses.Start(context);
        json.WriteStartObject();
        json.WriteStartArray("items");
        foreach (var entity in page.Items)
        {
            EntityJson.Write(json, entity, fields);
            await BackstageResponses.FlushIfLargeAsync(json, context);
        }

        json.WriteEndArray();
        json.WriteNumber("totalItems", page.TotalCount ?? 0);
        json.WriteStartObject("pageInfo");
        if (page.NextCursor is { } next)
        {
            json.WriteString("nextCursor", next);
        }

        // No prevCursor: cursors only go forward, and Backstage's clients treat it as optional.
        json.WriteEndObject();
        json.WriteEndObject();
        BackstageResponses.Finish(json);
    }

    private static async Task WriteFacetsAsync(HttpContext context, IReadOnlyList<string> facets, EntityFilter? filter)
    {
        var counts = await context.RequestServices.GetRequiredService<EntityQueryService>().FacetsAsync(facets, filter, context.RequestAborted, FacetOrder.ByValue);

        await using var json = BackstageResponses.Start(context);
        json.WriteStartObject();
        json.WriteStartObject("facets");
        foreach (var facet in facets)
        {
            json.WriteStartArray(facet);
            foreach (var value in counts.GetValueOrDefault(facet) ?? [])
            {
                json.WriteStartObject();
                json.WriteString("value", value.Value);
                json.WriteNumber("count", value.Count);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        BackstageResponses.Finish(json);
    }

    private static async Task WriteEntityAsync(HttpContext context, CatalogEntity entity)
    {
        await using var json = BackstageResponses.Start(context);
        EntityJson.Write(json, entity, FieldSelection.All);
        BackstageResponses.Finish(json);
    }

    /// <summary>This request's URL with <c>after</c> set to the next page's cursor (and no <c>offset</c>), as a Link header.</summary>
    private static string NextPageLink(HttpRequest request, string cursor)
    {
        var kept = request.Query
            .Where(parameter => parameter.Key is not ("offset" or "after"))
            .SelectMany(parameter => parameter.Value.Select(value => KeyValuePair.Create(parameter.Key, value ?? "")));
        var query = new QueryBuilder(kept) { { "after", cursor } };
        return $"<{request.PathBase}{request.Path}{query.ToQueryString()}>; rel=\"next\"";
    }

    /// <summary>The legacy <c>order</c> parameters, each <c>asc:&lt;field&gt;</c> or <c>desc:&lt;field&gt;</c>.</summary>
    private static IReadOnlyList<EntityOrder> LegacyOrder(IEnumerable<string?> parameters) => CatalogRequestParser.CheckOrderCount(
        parameters.Select(item =>
        {
            var colon = (item ?? "").IndexOf(':', StringComparison.Ordinal);
            var direction = colon < 0 ? "" : item![..colon];
            return direction is "asc" or "desc" && colon < item!.Length - 1
                ? CatalogRequestParser.Order(item[(colon + 1)..], direction, $"order '{item}'")
                : throw BackstageApiException.Input($"Invalid order parameter \"{item}\", expected \"<asc or desc>:<field name>\".");
        }).ToList());
}
