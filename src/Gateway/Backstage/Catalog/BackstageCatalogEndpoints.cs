using Portal.Gateway.Hosting.Authorization;
using static Portal.Gateway.Backstage.BackstageResponses;

namespace Portal.Gateway.Backstage.Catalog;

/// <summary>
/// Backstage's catalog REST API under <c>/api/catalog</c>, with Backstage's JSON shapes and error body, so that a
/// client written for Backstage's catalog (its <c>CatalogClient</c>, scripts, CI tooling) works against Portal unchanged.
/// </summary>
public static class BackstageCatalogEndpoints
{
    public const string BasePath = "/api/catalog";

    /// <summary>
    /// Reads the REST API's settings while the host is being built, so that a bad value stops the start with its own
    /// message (read again when the routes are mapped, after the host exists, its failure would race the host's disposal).
    /// </summary>
    public static WebApplicationBuilder CheckBackstageApiSettings(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        BackstageApiOptions.From(builder.Configuration);
        return builder;
    }

    public static IEndpointRouteBuilder MapBackstageCatalogApi(this IEndpointRouteBuilder endpoints)
    {
        var options = BackstageApiOptions.From(endpoints.ServiceProvider.GetRequiredService<IConfiguration>());
        var api = endpoints.MapGroup(BasePath);
        var answers = new CatalogAnswerCache(options.AnswerCacheMegabytes * 1024L * 1024);
        Func<HttpContext, Task> Kept(Func<HttpContext, Task> handler) => context => answers.AnswerAsync(context, handler);

        // The bounded GET reads (a page, an entity, facets) are Kept: sent again from memory while the catalog's version
        // is the one they were made at (CatalogAnswerCache). The guard runs first, for every request.
        //
        // Each route names the operation it performs, as the GraphQL field of the same operation does, so an
        // authorization rule names it once (CatalogOperations). A route that does not write may run twice when its
        // database connection was lost (Handle): running a read again changes nothing.
        void Map(string method, string pattern, string operation, Func<HttpContext, bool> writes, Func<HttpContext, Task> handler) =>
            api.MapMethods(pattern, [method], Handle(Guard(operation, writes, handler), options, context => !writes(context)));

        Map("GET", "/entities", CatalogOperations.EntitiesRead, Reads, EntityEndpoints.ListAsync);
        Map("GET", "/entities/by-query", CatalogOperations.EntitiesRead, Reads, Kept(EntityEndpoints.QueryAsync));
        Map("POST", "/entities/by-query", CatalogOperations.EntitiesRead, Reads, context => EntityEndpoints.QueryByPredicateAsync(context, options));
        Map("GET", "/entities/by-name/{kind}/{namespace}/{name}", CatalogOperations.EntitiesRead, Reads, Kept(EntityEndpoints.ByNameAsync));
        Map("GET", "/entities/by-uid/{uid}", CatalogOperations.EntitiesRead, Reads, Kept(EntityEndpoints.ByUidAsync));
        Map("DELETE", "/entities/by-uid/{uid}", CatalogOperations.EntitiesDelete, Writes, EntityEndpoints.DeleteByUidAsync);
        Map("POST", "/entities/by-refs", CatalogOperations.EntitiesRead, Reads, context => EntityEndpoints.ByRefsAsync(context, options));
        Map("GET", "/entity-facets", CatalogOperations.EntitiesRead, Reads, Kept(EntityEndpoints.FacetsAsync));
        Map("POST", "/entity-facets", CatalogOperations.EntitiesRead, Reads, context => EntityEndpoints.FacetsByPredicateAsync(context, options));
        Map("POST", "/refresh", CatalogOperations.EntitiesRefresh, Writes, context => EntityEndpoints.RefreshAsync(context, options));
        Map("POST", "/validate-entity", CatalogOperations.EntitiesValidate, Reads, context => EntityEndpoints.ValidateAsync(context, options));

        Map("GET", "/locations", CatalogOperations.LocationsRead, Reads, LocationEndpoints.ListAsync);

        // A dry run reads and validates the target and stores nothing: it is a read. No other route has a dry run.
        Map("POST", "/locations", CatalogOperations.LocationsRegister, context => !LocationEndpoints.DryRun(context.Request.Query), context => LocationEndpoints.CreateAsync(context, options));
        Map("GET", "/locations/{id}", CatalogOperations.LocationsRead, Reads, LocationEndpoints.GetAsync);
        Map("DELETE", "/locations/{id}", CatalogOperations.LocationsUnregister, Writes, LocationEndpoints.DeleteAsync);
        Map("GET", "/locations/by-entity/{kind}/{namespace}/{name}", CatalogOperations.LocationsRead, Reads, LocationEndpoints.ByEntityAsync);

        // Anything else under the API answers in the API's error shape, not with an empty 404.
        api.MapFallback(Handle(context => throw BackstageApiException.NotFound(
            $"No catalog API route {context.Request.Method} {context.Request.Path}; see the README's Backstage catalog REST API section."), options));
        return endpoints;
    }

    private static bool Reads(HttpContext context) => false;

    private static bool Writes(HttpContext context) => true;

    /// <summary>The authorization check point: every route asks before it reads a byte of the body.</summary>
    private static Func<HttpContext, Task> Guard(string operation, Func<HttpContext, bool> writes, Func<HttpContext, Task> handler) => context =>
    {
        var authorizer = context.RequestServices.GetRequiredService<IPortalAuthorizer>();
        return authorizer.Deny(new AccessRequest(context.User, operation, writes(context))) is { } reason
            ? throw BackstageApiException.NotAllowed(reason)
            : handler(context);
    };
}
