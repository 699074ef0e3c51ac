using Portal.Catalog;
using Portal.Catalog.Locations;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Backstage.Catalog;

/// <summary>The location routes of Backstage's catalog REST API.</summary>
internal static class LocationEndpoints
{
    /// <summary><c>GET /locations</c>: <c>[{data: {id, type, target}}]</c>.</summary>
    public static async Task ListAsync(HttpContext context)
    {
        var locations = await context.RequestServices.GetRequiredService<LocationService>().ListAsync(context.RequestAborted);

        await using var json = BackstageResponses.Start(context);
        json.WriteStartArray();
        foreach (var location in locations)
        {
            json.WriteStartObject();
            json.WritePropertyName("data");
            EntityJson.Write(json, location);
            json.WriteEndObject();
            await BackstageResponses.FlushIfLargeAsync(json, context);
        }

        json.WriteEndArray();
        BackstageResponses.Finish(json);
    }

    /// <summary><c>GET /locations/{id}</c>: <c>{id, type, target}</c>, or 404.</summary>
    public static async Task GetAsync(HttpContext context)
    {
        var (text, id) = Id(context);
        var location = (id is { } value ? await context.RequestServices.GetRequiredService<LocationService>().GetAsync(value, context.RequestAborted) : null)
            ?? throw BackstageApiException.NotFound($"Found no location with ID {text}");
        await WriteAsync(context, location);
    }

    /// <summary><c>DELETE /locations/{id}</c>: unregisters the location and removes its entities; 204, or 404.</summary>
    public static async Task DeleteAsync(HttpContext context)
    {
        var (text, id) = Id(context);
        if (id is not { } value || !await context.RequestServices.GetRequiredService<LocationService>().UnregisterAsync(value, context.RequestAborted))
        {
            throw BackstageApiException.NotFound($"Found no location with ID {text}");
        }

        await BackstageResponses.EmptyAsync(context, StatusCodes.Status204NoContent);
    }

    /// <summary><c>GET /locations/by-entity/{kind}/{namespace}/{name}</c>: the location that manages the entity, or 404.</summary>
    public static async Task ByEntityAsync(HttpContext context)
    {
        var (kind, @namespace, name) = EntityEndpoints.NameParts(context);
        var entityRef = $"{kind}:{@namespace}/{name}";
        var entity = (await context.RequestServices.GetRequiredService<EntityQueryService>().GetManyAsync([entityRef], context.RequestAborted))[0]
            ?? throw BackstageApiException.NotFound($"No entity named '{name}' found, with kind '{kind}' in namespace '{@namespace}'");
        var location = entity.LocationId is { } id
            ? await context.RequestServices.GetRequiredService<LocationService>().GetAsync(id, context.RequestAborted)
            : null;
        await WriteAsync(context, location ?? throw BackstageApiException.NotFound($"No location manages {entity.Ref}; it was written through the API."));
    }

    /// <summary>
    /// <c>POST /locations</c> <c>{type, target}</c>: 201 <c>{location, entities}</c>. The location is read and ingested
    /// before the answer, so <c>entities</c> holds what it registered. With <c>?dryRun=true</c> nothing is stored,
    /// <c>entities</c> holds what would be, and <c>exists</c> says whether the location is registered already.
    /// </summary>
    public static async Task CreateAsync(HttpContext context, BackstageApiOptions options)
    {
        var dryRun = DryRun(context.Request.Query);
        string type, target;
        using (var body = await CatalogRequestBody.ReadAsync(context, options.MaxRequestBytes))
        {
            type = CatalogRequestBody.RequiredString(body.RootElement, "type");
            target = CatalogRequestBody.RequiredString(body.RootElement, "target");
        }

        if (type.Length > CatalogLimits.MaxLocationTypeLength || target.Length > CatalogLimits.MaxLocationTargetLength)
        {
            throw BackstageApiException.Input(
                $"Invalid location: the type is limited to {CatalogLimits.MaxLocationTypeLength} characters and the target to {CatalogLimits.MaxLocationTargetLength}.");
        }

        var locations = context.RequestServices.GetRequiredService<LocationService>();
        if (dryRun)
        {
            var preview = await locations.PreviewAsync(type, target, context.RequestAborted);
            var errors = preview.Problems.Where(p => p.Level == ProblemLevel.Error).ToList();
            if (errors.Count > 0)
            {
                // As Backstage: a dry run that would not ingest cleanly is refused with what is wrong.
                throw BackstageApiException.Input(CatalogProblem.Describe(errors));
            }

            await using var preJson = BackstageResponses.Start(context, StatusCodes.Status201Created);
            preJson.WriteStartObject();
            preJson.WriteStartObject("location");
            // Nothing was stored, so an unregistered target has no id; Backstage uses "<type>:<target>" for it.
            preJson.WriteString("id", preview.Existing?.Id.ToString() ?? $"{preview.Type}:{preview.Target}");
            preJson.WriteString("type", preview.Type);
            preJson.WriteString("target", preview.Target);
            preJson.WriteEndObject();
            preJson.WriteStartArray("entities");
            foreach (var entity in preview.Entities)
            {
                EntityJson.Write(preJson, entity);
                await BackstageResponses.FlushIfLargeAsync(preJson, context);
            }

            preJson.WriteEndArray();
            preJson.WriteBoolean("exists", preview.Existing is not null);
            preJson.WriteEndObject();
            BackstageResponses.Finish(preJson);
            return;
        }

        // Answered from what the registration wrote (uids and etags included), without reading the entities back.
        var outcome = await locations.RegisterAsync(type, target, context.RequestAborted);
        await using var json = BackstageResponses.Start(context, StatusCodes.Status201Created);
        json.WriteStartObject();
        json.WritePropertyName("location");
        EntityJson.Write(json, outcome.Location);
        json.WriteStartArray("entities");
        foreach (var stored in outcome.Entities)
        {
            EntityJson.Write(json, stored);
            await BackstageResponses.FlushIfLargeAsync(json, context);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        BackstageResponses.Finish(json);
    }

    private static async Task WriteAsync(HttpContext context, LocationInfo location)
    {
        await using var json = BackstageResponses.Start(context);
        EntityJson.Write(json, location);
        BackstageResponses.Finish(json);
    }

    /// <summary>The id route value; null when it is not an id this catalog hands out (nothing to look up).</summary>
    private static (string Text, Guid? Id) Id(HttpContext context)
    {
        var text = (string)context.GetRouteValue("id")!;
        return (text, Guid.TryParse(text, out var id) ? id : null);
    }

    /// <summary><c>dryRun</c> as Backstage reads it (true/false, yes/no, 1/0, on/off); anything else is an error.</summary>
    public static bool DryRun(IQueryCollection parameters) => CatalogRequestParser.Single(parameters, "dryRun")?.ToLowerInvariant() switch
    {
        null or "" or "false" or "no" or "n" or "0" or "off" => false,
        "true" or "yes" or "y" or "1" or "on" => true,
        var other => throw BackstageApiException.Input($"Invalid dryRun '{other}', expected true or false."),
    };
}
