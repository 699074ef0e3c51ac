using GraphQL.Validation;
using GraphQLParser.AST;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>Refuses <c>__schema</c> and <c>__type</c> when introspection is switched off.</summary>
internal sealed class NoIntrospectionRule : ValidationRuleBase, IDocumentOnlyRule
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        new(new MatchingNodeVisitor<GraphQLField>((field, validation) =>
        {
            if (field.Name.StringValue is "__schema" or "__type")
            {
                validation.ReportError(new LimitError(validation, "INTROSPECTION_DISABLED",
                    "Introspection is switched off on this server (Graph:EnableIntrospection).", field));
            }
        }));
}

/// <summary>A validation error with the portal's code in <c>extensions.code</c>.</summary>
internal sealed class LimitError : ValidationError
{
    public LimitError(ValidationContext validation, string code, string message, ASTNode node)
        : this(validation.Document, code, message, node)
    {
    }

    public LimitError(GraphQLDocument document, string code, string message, ASTNode node)
        : base(document.Source, code, message, node)
    {
        Code = code;
    }
}
