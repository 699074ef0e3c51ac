using GraphQL.Validation;
using GraphQLParser.AST;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>
/// Refuses a string value of the query text that is not valid UTF-16: GraphQL's <c>\u</c> escape writes one UTF-16
/// unit, so <c>"\ud800"</c> parses to a lone surrogate, which is not text. It would reach the catalog's queries (the
/// database refuses to encode it) and the response (the JSON writer cannot write it); variables cannot carry one (the
/// transports refuse such JSON), so this closes the last way in.
/// </summary>
internal sealed class TextRule : ValidationRuleBase, IDocumentOnlyRule
{
    public const string InvalidString = "INVALID_STRING";

    public static readonly TextRule Instance = new();

    private static readonly INodeVisitor Visitor = new MatchingNodeVisitor<GraphQLStringValue>((value, validation) =>
    {
        if (LoneSurrogate(value.Value.Span) is { } unit)
        {
            validation.ReportError(new LimitError(validation, InvalidString,
                $"A string value is not valid UTF-16 text: it holds the lone surrogate \\u{(int)unit:X4} (a character beyond \\uFFFF is written as a pair of escapes, or as itself).",
                value));
        }
    });

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => new(Visitor);

    private static char? LoneSurrogate(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return text[i];
            }
        }

        return null;
    }
}
