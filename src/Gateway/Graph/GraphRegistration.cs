using GraphQL;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Graph;

public static class GraphRegistration
{
    public static IHostApplicationBuilder AddPortalGraph(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GraphOptions>()
            .BindConfiguration(GraphOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var exposeExceptions = builder.Environment.IsDevelopment();
        builder.Services.AddGraphQL(graph => graph
            .AddSchema<PortalSchema>()
            .AddGraphTypes(typeof(PortalSchema).Assembly)
            .AddSystemTextJson()
            .AddErrorInfoProvider(errors => errors.ExposeExceptionDetails = exposeExceptions)
            .AddUnhandledExceptionHandler(GraphErrors.Translate)
            .ConfigureExecutionOptions(options =>
            {
                // Each execution gets its own loaders, whichever transport started it.
                if (options.UserContext is not GraphUserContext)
                {
                    options.UserContext = new GraphUserContext(options.RequestServices!.GetRequiredService<EntityQueryService>());
                }
            }));
        builder.Services.AddSingleton<GraphQLHttpEndpoint>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalGraph(this IEndpointRouteBuilder endpoints)
    {
        var endpoint = endpoints.ServiceProvider.GetRequiredService<GraphQLHttpEndpoint>();
        endpoints.MapMethods("/graphql", ["GET", "POST"], endpoint.HandleAsync);
        return endpoints;
    }
}
