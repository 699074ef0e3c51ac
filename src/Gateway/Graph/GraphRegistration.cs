using GraphQL;
using Portal.Gateway.Graph.WebSockets;

namespace Portal.Gateway.Graph;

public static class GraphRegistration
{
    public static IHostApplicationBuilder AddPortalGraph(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GraphOptions>()
            .BindConfiguration(GraphOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<GraphWebSocketOptions>()
            .BindConfiguration(GraphWebSocketOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var exposeExceptions = builder.Environment.IsDevelopment();
        builder.Services.AddGraphQL(graph => graph
            .AddSchema<PortalSchema>()
            .AddGraphTypes(typeof(PortalSchema).Assembly)
            .AddSystemTextJson()
            .AddErrorInfoProvider(errors => errors.ExposeExceptionDetails = exposeExceptions));
        builder.Services.AddSingleton<GraphExecution>();
        builder.Services.AddSingleton<GraphQLHttpEndpoint>();
        builder.Services.AddSingleton<GraphQLWebSocketEndpoint>();
        return builder;
    }

    public static IEndpointRouteBuilder MapPortalGraph(this IEndpointRouteBuilder endpoints)
    {
        var http = endpoints.ServiceProvider.GetRequiredService<GraphQLHttpEndpoint>();
        var webSocket = endpoints.ServiceProvider.GetRequiredService<GraphQLWebSocketEndpoint>();

        // A WebSocket handshake is a GET too; it needs the app's UseWebSockets() ahead of the endpoints.
        endpoints.MapMethods("/graphql", ["GET", "POST"], context => context.WebSockets.IsWebSocketRequest
            ? webSocket.HandleAsync(context)
            : http.HandleAsync(context));
        return endpoints;
    }
}
