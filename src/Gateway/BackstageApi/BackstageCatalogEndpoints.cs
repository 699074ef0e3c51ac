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

        api.MapGet("/entities", Handle(EntityEndpoints.ListAsync));
        api.MapGet("/entities/by-query", Handle(EntityEndpoints.QueryAsync));
        api.MapPost("/entities/by-query", Handle(context => EntityEndpoints.QueryByPredicateAsync(context, options)));
        api.MapGet("/entities/by-name/{kind}/{namespace}/{name}", Handle(EntityEndpoints.ByNameAsync));
        api.MapGet("/entities/by-uid/{uid}", Handle(EntityEndpoints.ByUidAsync));
        api.MapDelete("/entities/by-uid/{uid}", Handle(EntityEndpoints.DeleteByUidAsync));
        api.MapPost("/entities/by-refs", Handle(context => EntityEndpoints.ByRefsAsync(context, options)));
        api.MapGet("/entity-facets", Handle(EntityEndpoints.FacetsAsync));
        api.MapPost("/entity-facets", Handle(context => EntityEndpoints.FacetsByPredicateAsync(context, options)));
        api.MapPost("/refresh", Handle(context => EntityEndpoints.RefreshAsync(context, options)));
        api.MapPost("/validate-entity", Handle(context => EntityEndpoints.ValidateAsync(context, options)));

        api.MapGet("/locations", Handle(LocationEndpoints.ListAsync));
        api.MapPost("/locations", Handle(context => LocationEndpoints.CreateAsync(context, options)));
        api.MapGet("/locations/{id}", Handle(LocationEndpoints.GetAsync));
        api.MapDelete("/locations/{id}", Handle(LocationEndpoints.DeleteAsync));
        api.MapGet("/locations/by-entity/{kind}/{namespace}/{name}", Handle(LocationEndpoints.ByEntityAsync));

        // Anything else under the API answers in the API's error shape, not with an empty 404.
        api.MapFallback(Handle(context => throw CatalogApiException.NotFound(
            $"No catalog API route {context.Request.Method} {context.Request.Path}; see the README's Backstage catalog REST API section.")));
        return endpoints;
    }
}
