using GraphQL.Validation;
using GraphQLParser.AST;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>A subscription streams results over time: over HTTP it would have nowhere to send them.</summary>
internal sealed class SubscriptionNeedsWebSocketRule : ValidationRuleBase, IDocumentOnlyRule
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        new(new MatchingNodeVisitor<GraphQLOperationDefinition>((operation, validation) =>
        {
            if (operation.Operation == OperationType.Subscription && operation == validation.Operation)
            {
                validation.ReportError(new ValidationError(validation.Document.Source, "SUBSCRIPTION_NEEDS_WEBSOCKET",
                    "A subscription needs a WebSocket: connect to /graphql with the graphql-transport-ws subprotocol.", operation));
            }
        }));
}
