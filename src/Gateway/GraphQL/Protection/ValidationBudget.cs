using GraphQL.Validation;
using GraphQL.Validation.Rules;
using GraphQLParser.AST;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>
/// Ends validation's walk of the document early: when the operation's time is up (<c>Graph:ExecutionTimeout</c>
/// covers validation too: GraphQL.NET starts its clock before parsing, but no rule looks at it), and once more errors
/// have been found than a response lists (<c>Graph:MaxErrors</c>). Every error costs a scan of the query text for its
/// line and column, so a document made of ten thousand mistakes would cost quadratic time for errors nobody reads.
/// It runs first at every node of both walks; the validator turns the stop into its result
/// (<see cref="ValidationStoppedException"/>).
/// </summary>
internal sealed class ValidationBudgetRule(int maxErrors) : ValidationRuleBase
{
    private readonly Guard _guard = new(maxErrors);

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) => new(_guard);

    public override ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) => new(_guard);

    /// <summary>How many errors the context holds (its list, read without copying it).</summary>
    public static int ErrorCount(ValidationContext context) =>
        context.Errors is IReadOnlyCollection<ValidationError> errors ? errors.Count : context.Errors.Count();

    private sealed class Guard(int maxErrors) : INodeVisitor
    {
        public ValueTask EnterAsync(ASTNode node, ValidationContext context)
        {
            // The timeout's token: an OperationCanceledException here is answered as TIMEOUT, like one in a resolver.
            context.CancellationToken.ThrowIfCancellationRequested();
            if (ErrorCount(context) > maxErrors)
            {
                throw new ValidationStoppedException([.. context.Errors.Take(maxErrors)], maxErrors);
            }

            return default;
        }

        public ValueTask LeaveAsync(ASTNode node, ValidationContext context) => default;
    }
}

/// <summary>Validation found more errors than a response lists; <see cref="Errors"/> are the first of them.</summary>
internal sealed class ValidationStoppedException(List<ValidationError> errors, int maxErrors) : Exception("Validation stopped: too many errors.")
{
    /// <summary>The first errors, and one last error saying that validation stopped.</summary>
    public List<ValidationError> Errors { get; } = [.. errors, new ValidationStoppedError(maxErrors)];
}

/// <summary>The last error of a validation that stopped early; <c>ResponseErrors</c> keeps it as the count of the rest.</summary>
internal sealed class ValidationStoppedError : ValidationError
{
    public ValidationStoppedError(int maxErrors)
        : base($"Validation stopped after {maxErrors} errors; there are more (Graph:MaxErrors). Correct these and send the request again.")
    {
        Code = "TOO_MANY_ERRORS";
    }
}

/// <summary>
/// The specification's overlapping-fields rule (GraphQL.NET's own), with its errors bounded. The rule compares every
/// pair of fields that share a response name in a selection set and reports every pair that conflicts, all while it
/// visits one selection set: a few hundred fields named alike are a hundred thousand errors, each built with a scan
/// of the query text for its location, before the walk reaches the next node where <see cref="ValidationBudgetRule"/>
/// could stop it. So it runs against a copy of the validation context whose document has no text (locations cost
/// nothing), and only the errors the response will list are built again with their real locations.
/// </summary>
/// <remarks>
/// The rule reads the context's schema, document (its definitions) and type information, and reports errors; the copy
/// shares the first three. Bound to GraphQL.NET 8.8 (see Execution/Prepared/README.md on upgrades).
/// </remarks>
internal sealed class BoundedOverlappingFieldsRule(int maxErrors) : ValidationRuleBase
{
    public override async ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        var overlapping = await OverlappingFieldsCanBeMerged.Instance.GetPreNodeVisitorAsync(context);
        return overlapping is null ? null : new Bounded(overlapping, new GraphQLDocument(context.Document.Definitions), maxErrors);
    }

    private sealed class Bounded(INodeVisitor overlapping, GraphQLDocument textless, int maxErrors) : INodeVisitor
    {
        public async ValueTask EnterAsync(ASTNode node, ValidationContext context)
        {
            if (node is not GraphQLSelectionSet)
            {
                return;
            }

            var copy = new ValidationContext
            {
                Schema = context.Schema,
                Document = textless,
                TypeInfo = context.TypeInfo,
                Operation = context.Operation,
                UserContext = context.UserContext,
                Variables = context.Variables,
                Extensions = context.Extensions,
                Metrics = context.Metrics,
                CancellationToken = context.CancellationToken,
            };
            await overlapping.EnterAsync(node, copy);

            // One beyond the limit, so that the budget rule stops the walk at the next node.
            var room = maxErrors + 1 - ValidationBudgetRule.ErrorCount(context);
            foreach (var error in copy.Errors.Take(Math.Max(0, room)))
            {
                context.ReportError(new ValidationError(context.Document.Source, error.Number, error.Message, [.. error.Nodes]) { Code = error.Code });
            }
        }

        public ValueTask LeaveAsync(ASTNode node, ValidationContext context) => default;
    }
}
