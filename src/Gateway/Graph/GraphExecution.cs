using GraphQL;
using GraphQL.Transport;
using GraphQL.Validation;

namespace Portal.Gateway.Graph;

/// <summary>How an operation reached the gateway; it decides the rules that only some transports need.</summary>
internal enum GraphTransport
{
    HttpGet,
    HttpPost,
    WebSocket,
}

/// <summary>
/// Runs a GraphQL operation the same way for every transport (HTTP and WebSocket): the execution options, the
/// validation rules and the services an operation sees are set here and nowhere else, so a rule added here (depth,
/// complexity) applies to both.
/// </summary>
internal sealed class GraphExecution(IDocumentExecuter<PortalSchema> executer)
{
    private static readonly IValidationRule[] HttpGetRules = [.. DocumentValidator.CoreRules, new NoMutationOverGetRule(), new SubscriptionNeedsWebSocketRule()];
    private static readonly IValidationRule[] HttpPostRules = [.. DocumentValidator.CoreRules, new SubscriptionNeedsWebSocketRule()];
    private static readonly IValidationRule[] WebSocketRules = [.. DocumentValidator.CoreRules];

    public Task<ExecutionResult> ExecuteAsync(GraphQLRequest request, GraphTransport transport, HttpContext context, CancellationToken cancellationToken) =>
        executer.ExecuteAsync(new ExecutionOptions
        {
            Query = request.Query,
            OperationName = request.OperationName,
            Variables = request.Variables,
            Extensions = request.Extensions,
            RequestServices = context.RequestServices,
            User = context.User,
            CancellationToken = cancellationToken,
            ValidationRules = transport switch
            {
                GraphTransport.HttpGet => HttpGetRules,
                GraphTransport.HttpPost => HttpPostRules,
                _ => WebSocketRules,
            },
        });
}
