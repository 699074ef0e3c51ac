using GraphQL;
using GraphQL.Execution;
using GraphQL.Validation;
using Microsoft.Extensions.Options;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Execution.Prepared;
using Portal.Gateway.GraphQL.Protection;
using Portal.Gateway.GraphQL.Subscriptions;
using Portal.Gateway.GraphQL.Transport;
using Portal.Gateway.GraphQL.Transport.WebSockets;
using Portal.Gateway.Hosting.Telemetry;

namespace Portal.Gateway.GraphQL;

public static class GraphQLRegistration
{
    public static IHostApplicationBuilder AddPortalGraph(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GraphQLOptions>()
            .BindConfiguration(GraphQLOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<GraphQLWebSocketOptions>()
            .BindConfiguration(GraphQLWebSocketOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        var exposeExceptions = builder.Environment.IsDevelopment();
        builder.Services.AddGraphQL(graph => graph
            .AddSchema<PortalSchema>()
            .AddGraphTypes(typeof(PortalSchema).Assembly)
            .AddSystemTextJson()
            .AddErrorInfoProvider(errors => errors.ExposeExceptionDetails = exposeExceptions)
            .AddUnhandledExceptionHandler(GraphQLErrors.Translate)
            .AddExecutionStrategy<PreparedQueryExecutionStrategy>(GraphQLParser.AST.OperationType.Query)
            .AddExecutionStrategy<SerialSubscriptionExecutionStrategy>(GraphQLParser.AST.OperationType.Subscription)
            // Limits are checked in validation, so a request over any of them is refused before a resolver runs: the
            // document's size and shape before any rule (PreparedOperationValidator, DocumentLimits), the rest as rules.
            .AddComplexityAnalyzer((complexity, services) =>
            {
                var limits = services.GetRequiredService<IOptions<GraphQLOptions>>().Value;
                complexity.MaxDepth = limits.MaxDepth;
                complexity.MaxComplexity = limits.MaxComplexity;
            })
            .AddValidationRule<GraphQLAuthorizationRule>()
            .ConfigureExecution((options, next) => options.RequestServices!.GetRequiredService<GraphQLMetrics>().MeasureAsync(options, o => next(o)))
            .ConfigureExecution(GraphQLErrors.RetryReadsOnceAsync)
            .ConfigureExecutionOptions(options =>
            {
                var limits = options.RequestServices!.GetRequiredService<IOptions<GraphQLOptions>>().Value;
                options.Timeout = limits.ExecutionTimeout;
                options.TimeoutAction = TimeoutAction.ReturnTimeoutError;
                if (!limits.EnableIntrospection)
                {
                    options.ValidationRules = (options.ValidationRules ?? DocumentValidator.CoreRules).Append(new NoIntrospectionRule());
                }
            }));
        builder.Services.AddSingleton<IDocumentBuilder, BoundedDocumentBuilder>(); // replaces GraphQL.NET's, which it wraps
        builder.Services.AddSingleton<IDocumentValidator, PreparedOperationValidator>(); // likewise
        builder.Services.AddSingleton<GraphQLDocumentCache>();
        builder.Services.AddSingleton<GraphQLExecution>();
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
