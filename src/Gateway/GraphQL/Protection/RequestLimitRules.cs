using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.Options;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>
/// Caps aliases and fields per document: aliases let one small request ask for the same expensive field a thousand
/// times, which depth and complexity limits alone do not always price.
/// </summary>
internal sealed class RequestLimitRules(IOptions<GraphQLOptions> options) : ValidationRuleBase, IDocumentOnlyRule
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        var limits = options.Value;
        var aliases = 0;
        var fields = 0;
        return new(new MatchingNodeVisitor<GraphQLField>((field, validation) =>
        {
            fields++;
            if (field.Alias is not null && ++aliases == limits.MaxAliases + 1)
            {
                validation.ReportError(new LimitError(validation, "TOO_MANY_ALIASES",
                    $"The document uses more than {limits.MaxAliases} aliases.", field));
            }

            if (fields == limits.MaxFields + 1)
            {
                validation.ReportError(new LimitError(validation, "TOO_MANY_FIELDS",
                    $"The document selects more than {limits.MaxFields} fields.", field));
            }
        }));
    }
}

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
        : base(validation.Document.Source, code, message, node)
    {
        Code = code;
    }
}
