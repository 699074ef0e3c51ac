using System.Text.Json.Nodes;
using GraphQL;
using GraphQL.Types;
using Portal.Catalog;
using Portal.Catalog.Entities;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Protection;
using Portal.Gateway.GraphQL.Scalars;
using Portal.Gateway.Hosting.Authorization;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>The catalog's mutations: locations, entity refresh, validation, and API-managed entities.</summary>
internal static class CatalogMutationFields
{
    public static void AddTo(ObjectGraphType mutation)
    {
        GraphQLAuthorizationRule.WritesUnlessDryRun(mutation.Field<NonNullGraphType<LocationResultGraphType>>("registerLocation"), CatalogOperations.LocationsRegister)
            .Description("Registers a location (file, url or git) and ingests it; its entities are queryable when this returns. dryRun: read and validate only.")
            .Argument<NonNullGraphType<StringGraphType>>("type")
            .Argument<NonNullGraphType<StringGraphType>>("target")
            .Argument<BooleanGraphType>("dryRun", a => a.DefaultValue = false)
            .ResolveAsync(async c =>
            {
                var (type, target) = (Bounded(c.GetArgument<string>("type"), "type", CatalogLimits.MaxLocationTypeLength), Bounded(c.GetArgument<string>("target"), "target", CatalogLimits.MaxLocationTargetLength));
                return c.GetArgument("dryRun", false)
                    ? (object?)LocationResult.Of(await c.Service<LocationService>().PreviewAsync(type, target, c.CancellationToken))
                    : LocationResult.Of(await c.Service<LocationService>().RegisterAsync(type, target, c.CancellationToken));
            });

        GraphQLAuthorizationRule.Writes(mutation.Field<NonNullGraphType<LocationResultGraphType>>("refreshLocation"), CatalogOperations.LocationsRefresh)
            .Description("Reads a location again and applies what changed. A read that fails keeps the last good entities and reports the problem.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c =>
            {
                var id = CatalogQueryFields.ParseLocationId(c.GetArgument<string>("id"));
                return await c.Service<LocationService>().RefreshAsync(id, c.CancellationToken) is { } outcome
                    ? (object?)LocationResult.Of(outcome)
                    : throw new GraphQLNotFoundException($"No location has id {id}.");
            });

        GraphQLAuthorizationRule.Writes(mutation.Field<NonNullGraphType<BooleanGraphType>>("unregisterLocation"), CatalogOperations.LocationsUnregister)
            .Description("Removes a location and every entity it manages.")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c =>
            {
                var id = CatalogQueryFields.ParseLocationId(c.GetArgument<string>("id"));
                return await c.Service<LocationService>().UnregisterAsync(id, c.CancellationToken)
                    ? true
                    : throw new GraphQLNotFoundException($"No location has id {id}.");
            });

        GraphQLAuthorizationRule.Writes(mutation.Field<NonNullGraphType<LocationResultGraphType>>("refreshEntity"), CatalogOperations.EntitiesRefresh)
            .Description("Refreshes the location that manages the entity.")
            .Argument<NonNullGraphType<StringGraphType>>("ref")
            .ResolveAsync(async c =>
            {
                var entityRef = CatalogQueryFields.ParseRef(c.GetArgument<string>("ref"), "ref");
                var refresh = await c.Service<LocationService>().RefreshEntityAsync(entityRef.Canonical, c.CancellationToken);
                return refresh.Result switch
                {
                    EntityRefreshResult.Refreshed => (object?)LocationResult.Of(refresh.Outcome!),
                    EntityRefreshResult.ApiManaged => throw new InvalidQueryException($"{entityRef} is API-managed: no location to refresh it from."),
                    EntityRefreshResult.LocationGone => throw new GraphQLNotFoundException($"The location of {entityRef} is gone."),
                    _ => throw new GraphQLNotFoundException($"No entity is {entityRef}."),
                };
            });

        GraphQLAuthorizationRule.Reads(mutation.Field<NonNullGraphType<ValidationReportGraphType>>("validateEntities"), CatalogOperations.EntitiesValidate)
            .Description("Validates YAML or JSON descriptors (one or more documents) and reports each problem with its document and field. Stores nothing.")
            .Argument<NonNullGraphType<StringGraphType>>("content")
            .Argument<StringGraphType>("source", a => a.DefaultValue = "input")
            // The descriptor reader applies Catalog:Descriptors:MaxFileBytes and reports a larger content as a problem.
            .Resolve(c => c.Service<EntityService>().Validate(c.GetArgument("source", "input"), c.GetArgument<string>("content")));

        GraphQLAuthorizationRule.Writes(mutation.Field<NonNullGraphType<EntityInterface>>("upsertEntity"), CatalogOperations.EntitiesUpsert)
            .Description("Creates or replaces an API-managed entity (one no location manages). etag: write only if the stored entity still has it (\"\" = only if it does not exist yet).")
            .Argument<NonNullGraphType<JsonGraphType>>("entity")
            .Argument<StringGraphType>("etag")
            .ResolveAsync(async c =>
            {
                if (c.GetArgument<object?>("entity") is not JsonObject document)
                {
                    throw new InvalidQueryException("entity must be a JSON object: a descriptor with apiVersion, kind, metadata and spec.");
                }

                var entityRef = await c.Service<EntityService>().UpsertAsync(document, c.GetArgument<string?>("etag"), Actor(c), c.CancellationToken);
                return await c.Service<EntityQueryService>().GetAsync(entityRef, c.CancellationToken);
            });

        GraphQLAuthorizationRule.Writes(mutation.Field<NonNullGraphType<BooleanGraphType>>("deleteEntity"), CatalogOperations.EntitiesDelete)
            .Description("Deletes an API-managed entity. etag: delete only if the stored entity still has it.")
            .Argument<NonNullGraphType<StringGraphType>>("ref")
            .Argument<StringGraphType>("etag")
            .ResolveAsync(async c =>
            {
                var entityRef = CatalogQueryFields.ParseRef(c.GetArgument<string>("ref"), "ref");
                return await c.Service<EntityService>().DeleteAsync(entityRef.Canonical, c.GetArgument<string?>("etag"), Actor(c), c.CancellationToken)
                    ? true
                    : throw new GraphQLNotFoundException($"No entity is {entityRef}.");
            });
    }

    private static string Bounded(string value, string argument, int maxLength) => value.Length <= maxLength
        ? value
        : throw new InvalidQueryException($"{argument} is {value.Length} characters; at most {maxLength}.");

    /// <summary>Who made a change, for the entity's history.</summary>
    private static string Actor(IResolveFieldContext context) =>
        "graphql:" + (context.User?.Identity?.Name is { Length: > 0 } name ? name : "anonymous");
}
