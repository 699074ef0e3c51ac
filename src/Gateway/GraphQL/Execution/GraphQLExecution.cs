using GraphQL;
using GraphQL.Transport;
using GraphQL.Validation;
using GraphQL.Validation.Rules;
using Microsoft.Extensions.Options;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Execution.Prepared;
using Portal.Gateway.GraphQL.Protection;

namespace Portal.Gateway.GraphQL.Execution;

/// <summary>How an operation reached the gateway; it decides the rules that only some transports need.</summary>
internal enum GraphQLTransport
{
    HttpGet,
    HttpPost,
    WebSocket,
}

/// <summary>
/// Runs a GraphQL operation the same way for every transport (HTTP and WebSocket): the execution options, the
/// validation rules, the user context and the services an operation sees are set here and nowhere else, so a rule
/// added here (depth, complexity) applies to both.
/// </summary>
internal sealed class GraphQLExecution
{
    private readonly IDocumentExecuter<PortalSchema> _executer;
    private readonly PortalSchema _schema;
    private readonly GraphQLDocumentCache _documents;
    private readonly GraphQLOptions _options;
    private readonly ILogger<GraphQLExecution> _logger;
    private readonly IValidationRule[] _httpGetRules;
    private readonly IValidationRule[] _httpPostRules;
    private readonly IValidationRule[] _webSocketRules;

    public GraphQLExecution(
        IDocumentExecuter<PortalSchema> executer, PortalSchema schema, GraphQLDocumentCache documents, IOptions<GraphQLOptions> options, ILogger<GraphQLExecution> logger)
    {
        _executer = executer;
        _schema = schema;
        _documents = documents;
        _options = options.Value;
        _logger = logger;

        // The budget first, so that it looks at each node before the rules that could spend time on it; the transport's
        // own rules next, so that their errors (a mutation over GET answers 405) are among those a response lists.
        var budget = new ValidationBudgetRule(_options.MaxErrors);
        IValidationRule[] core = [.. DocumentValidator.CoreRules.Select(rule =>
            rule is OverlappingFieldsCanBeMerged ? new BoundedOverlappingFieldsRule(_options.MaxErrors) : rule)];
        _httpGetRules = [budget, new NoMutationOverGetRule(), new SubscriptionNeedsWebSocketRule(), .. core, TextRule.Instance];
        _httpPostRules = [budget, new SubscriptionNeedsWebSocketRule(), .. core, TextRule.Instance];
        _webSocketRules = [budget, .. core, TextRule.Instance];
    }

    /// <summary>
    /// Runs the request with a user context of its own (fresh loaders); <paramref name="eventTurn"/> paces a
    /// subscription's events for a transport that sends them one at a time (<see cref="GraphQLUserContext.EventTurn"/>).
    /// </summary>
    public async Task<ExecutionResult> ExecuteAsync(
        GraphQLRequest request, GraphQLTransport transport, HttpContext context, CancellationToken cancellationToken, SemaphoreSlim? eventTurn = null)
    {
        // An operation validated before for this transport skips the specification's rules and the document walks
        // (PreparedOperationValidator); the rules added at registration (complexity, request limits, authorization,
        // introspection) are appended to whatever list is given here, and those that depend on the request still run.
        var cached = _documents.Find(transport, request.OperationName, request.Query);
        var options = new ExecutionOptions
        {
            Query = request.Query,
            Document = cached?.Document,
            OperationName = request.OperationName,
            Variables = request.Variables,
            Extensions = request.Extensions,
            RequestServices = context.RequestServices,
            User = context.User,
            // Resolved per request, not injected: resolving the catalog's query service starts an embedded database,
            // which must not happen while the endpoints are mapped (Program.cs reports a database that cannot start).
            UserContext = new GraphQLUserContext(context.RequestServices.GetRequiredService<EntityQueryService>()) { EventTurn = eventTurn },
            CancellationToken = cancellationToken,
            ValidationRules = cached is not null ? [] : transport switch
            {
                GraphQLTransport.HttpGet => _httpGetRules,
                GraphQLTransport.HttpPost => _httpPostRules,
                _ => _webSocketRules,
            },
        };
        var result = await _executer.ExecuteAsync(options);
        Bound(result);

        // Executed: the document parsed and passed every rule (a resolver error afterwards does not matter here).
        if (cached is null && result.Executed && result.Document is { } document && result.Operation is { } operation && _documents.Keeps(request.Query))
        {
            try
            {
                _documents.Remember(transport, request.OperationName, request.Query!, await PreparedOperation.PrepareAsync(_schema, document, operation));
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The operation has run (a mutation has changed the catalog): its result stands, it is just not cached.
                _logger.LogWarning(exception, "A GraphQL document that executed could not be prepared for reuse; it will be parsed and validated on every request.");
            }
        }

        return result;
    }

    /// <summary>
    /// Bounds a result's errors (<see cref="ResponseErrors"/>); for the results a transport gets other than from
    /// <see cref="ExecuteAsync"/> (a subscription's events), which bounds its own.
    /// </summary>
    public ExecutionResult Bound(ExecutionResult result)
    {
        result.Errors = ResponseErrors.Bound(result.Errors, _options);
        return result;
    }
}
