using GraphQL.Validation;
using GraphQLParser.AST;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>GET requests are safe (GraphQL-over-HTTP): the operation they select must not be a mutation.</summary>
internal sealed class NoMutationOverGetRule : ValidationRuleBase, IDocumentOnlyRule
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        new(new MatchingNodeVisitor<GraphQLOperationDefinition>((operation, validation) =>
        {
            if (operation.Operation == OperationType.Mutation && operation == validation.Operation)
            {
                validation.ReportError(new MutationOverGetError(validation, operation));
            }
        }));
}

internal sealed class MutationOverGetError(ValidationContext context, GraphQLOperationDefinition operation)
    : ValidationError(context.Document.Source, "METHOD_NOT_ALLOWED",
        $"A {operation.Operation.ToString().ToLowerInvariant()} can only be sent with POST.", operation);
