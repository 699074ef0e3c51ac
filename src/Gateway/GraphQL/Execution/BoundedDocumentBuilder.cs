using GraphQL.Execution;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using Microsoft.Extensions.Options;

namespace Portal.Gateway.GraphQL.Execution;

/// <summary>
/// GraphQL.NET's parser with its recursion bounded by <c>Graph:MaxSyntaxDepth</c>, and a text nested deeper answered
/// as the request's error. GraphQL.NET turns the parser's syntax errors into GraphQL errors but not its depth error,
/// which would surface as an internal error; the bound itself is what keeps a deeply nested text (and every recursive
/// walk of the document after parsing) from overflowing the stack, which ends the process.
/// </summary>
internal sealed class BoundedDocumentBuilder(IOptions<GraphQLOptions> options) : IDocumentBuilder
{
    public const string DocumentTooDeep = "DOCUMENT_TOO_DEEP";

    private readonly GraphQLDocumentBuilder _parser = new() { MaxDepth = options.Value.MaxSyntaxDepth };

    public GraphQLDocument Build(string body)
    {
        try
        {
            return _parser.Build(body);
        }
        catch (GraphQLMaxDepthExceededException exception)
        {
            throw new DocumentTooDeepError(_parser.MaxDepth!.Value, exception);
        }
    }

    private sealed class DocumentTooDeepError : DocumentError
    {
        public DocumentTooDeepError(int maxDepth, GraphQLParserException exception)
            : base($"The query text nests deeper than {maxDepth} levels at line {exception.Location.Line}, column {exception.Location.Column} (Graph:MaxSyntaxDepth).")
        {
            Code = DocumentTooDeep;
            AddLocation(exception.Location);
        }
    }
}
