using Portal.Gateway.Authorization;
using static Portal.Gateway.BackstageApi.CatalogApiResponses;

namespace Portal.Gateway.BackstageApi;

/// <summary>
/// Backstage's catalog REST API under <c>/api/catalog</c>, with Backstage's JSON shapes and error body, so that a
/// client written for Backstage's catalog (its <c>CatalogClient</c>, scripts, CI tooling) works against Portal unchanged.
/// </summary>
public static class BackstageCatalogEndpoints
{
    public const string BasePath = "/api/catalog";

    public static IEndpointRouteBuilder MapBackstageCatalogApi(this IEndpointRouteBuilder endpoints)
    {
        var options = CatalogApiOptions.From(endpoints.ServiceProvider.GetRequiredService<IConfiguration>());
        var api = endpoints.MapGroup(BasePath);

        api.MapGet("/entities", Handle(Guard("GET /entities", isWrite: false, EntityEndpoints.ListAsync)));
        api.MapGet("/entities/by-query", Handle(Guard("GET /entities/by-query", isWrite: false, EntityEndpoints.QueryAsync)));
        api.MapPost("/entities/by-query", Handle(Guard("POST /entities/by-query", isWrite: false, context => EntityEndpoints.QueryByPredicateAsync(context, options))));
        api.MapGet("/entities/by-name/{kind}/{namespace}/{name}", Handle(Guard("GET /entities/by-name/{kind}/{namespace}/{name}", isWrite: false, EntityEndpoints.ByNameAsync)));
        api.MapGet("/entities/by-uid/{uid}", Handle(Guard("GET /entities/by-uid/{uid}", isWrite: false, EntityEndpoints.ByUidAsync)));
        api.MapDelete("/entities/by-uid/{uid}", Handle(Guard("DELETE /entities/by-uid/{uid}", isWrite: true, EntityEndpoints.DeleteByUidAsync)));
        api.MapPost("/entities/by-refs", Handle(Guard("POST /entities/by-refs", isWrite: false, context => EntityEndpoints.ByRefsAsync(context, options))));
        api.MapGet("/entity-facets", Handle(Guard("GET /entity-facets", isWrite: false, EntityEndpoints.FacetsAsync)));
        api.MapPost("/entity-facets", Handle(Guard("POST /entity-facets", isWrite: false, context => EntityEndpoints.FacetsByPredicateAsync(context, options))));
        api.MapPost("/refresh", Handle(Guard("POST /refresh", isWrite: true, context => EntityEndpoints.RefreshAsync(context, options))));
        api.MapPost("/validate-entity", Handle(Guard("POST /validate-entity", isWrite: false, context => EntityEndpoints.ValidateAsync(context, options))));

        api.MapGet("/locations", Handle(Guard("GET /locations", isWrite: false, LocationEndpoints.ListAsync)));
        api.MapPost("/locations", Handle(Guard("POST /locations", isWrite: true, context => LocationEndpoints.CreateAsync(context, options))));
        api.MapGet("/locations/{id}", Handle(Guard("GET /locations/{id}", isWrite: false, LocationEndpoints.GetAsync)));
        api.MapDelete("/locations/{id}", Handle(Guard("DELETE /locations/{id}", isWrite: true, LocationEndpoints.DeleteAsync)));
        api.MapGet("/locations/by-entity/{kind}/{namespace}/{name}", Handle(Guard("GET /locations/by-entity/{kind}/{namespace}/{name}", isWrite: false, LocationEndpoints.ByEntityAsync)));

        // Anything else under the API answers in the API's error shape, not with an empty 404.
        api.MapFallback(Handle(context => throw CatalogApiException.NotFound(
            $"No catalog API route {context.Request.Method} {context.Request.Path}; see the README's Backstage catalog REST API section.")));
        return endpoints;
    }

    /// <summary>The authorization check point: every route asks before it reads a byte of the body.</summary>
    private static Func<HttpContext, Task> Guard(string resource, bool isWrite, Func<HttpContext, Task> handler) => context =>
    {
        var authorizer = context.RequestServices.GetRequiredService<IPortalAuthorizer>();
        var dryRun = string.Equals(context.Request.Query["dryRun"], "true", StringComparison.OrdinalIgnoreCase);
        return authorizer.Deny(new AccessRequest(context.User, BasePath + " " + resource, isWrite && !dryRun)) is { } reason
            ? throw CatalogApiException.NotAllowed(reason)
            : handler(context);
    };
}
