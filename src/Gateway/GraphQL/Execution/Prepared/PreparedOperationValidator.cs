using GraphQL.Execution;
using GraphQL.Validation;
using GraphQL.Validation.Rules.Custom;
using GraphQLParser.AST;
using Microsoft.Extensions.Options;
using Portal.Gateway.GraphQL.Protection;

namespace Portal.Gateway.GraphQL.Execution.Prepared;

/// <summary>
/// GraphQL.NET's validator, with a shorter path for a prepared operation (<see cref="PreparedOperation"/>): the
/// document passed every rule before, so only what can differ from one request to the next is computed again, in the
/// order the full validation reports it: variable coercion, argument and directive values (the variables), then
/// complexity (list sizes come from arguments) and authorization (the user, and arguments such as dryRun). Rules that
/// look at the document alone (request limits, introspection) held for this text already. A rule this class does not
/// know (the specification's, say) sends the request down the full path, so a rule is never skipped by accident.
/// </summary>
internal sealed class PreparedOperationValidator(IOptions<GraphQLOptions> limits) : IDocumentValidator
{
    private readonly DocumentValidator _full = new();

    public Task<IValidationResult> ValidateAsync(in ValidationOptions options)
    {
        if (PreparedOperation.Of(options.Operation) is not { } prepared)
        {
            return ValidateFullAsync(options);
        }

        foreach (var rule in options.Rules ?? [])
        {
            if (rule is not (ComplexityValidationRule or GraphQLAuthorizationRule or IDocumentOnlyRule))
            {
                return ValidateFullAsync(options);
            }
        }

        return ValidatePreparedAsync(options, prepared);
    }

    /// <summary>
    /// GraphQL.NET's validation, once the document is within the limits that bound validation's own cost
    /// (<see cref="DocumentLimits"/>: a document beyond them is refused before any rule runs), and cut short when it
    /// has found more errors than a response lists (<see cref="ValidationBudgetRule"/>).
    /// </summary>
    private async Task<IValidationResult> ValidateFullAsync(ValidationOptions options)
    {
        if (DocumentLimits.Check(options.Document, limits.Value) is { } refused)
        {
            return new ValidationResult(refused);
        }

        try
        {
            return await _full.ValidateAsync(options);
        }
        catch (ValidationStoppedException stopped)
        {
            return new ValidationResult(stopped.Errors);
        }
    }

    private static async Task<IValidationResult> ValidatePreparedAsync(ValidationOptions options, PreparedOperation prepared)
    {
        // Variables are coerced over the operation's definitions alone (same nodes, so errors point at the request's
        // text): the validator's walk to find where each is used is what PrepareAsync made unnecessary.
        var (variables, errors) = await ContextFor(options, prepared.VariablesDocument, prepared.VariablesOperation).GetVariablesValuesAsync();
        if (errors is { Count: > 0 })
        {
            return new ValidationResult(errors) { Variables = variables };
        }

        // No TypeInfo: nothing below walks the document (complexity walks it with its own context).
        var validation = ContextFor(options, options.Document, options.Operation);

        foreach (var (field, definition) in prepared.FieldsWithArguments)
        {
            try
            {
                if (ExecutionHelper.GetArguments(definition.Arguments, field.Arguments, variables, options.Document, field, null) is { } arguments)
                {
                    (validation.ArgumentValues ??= []).Add(field, arguments);
                }
            }
            catch (ValidationError error)
            {
                validation.ReportError(error);
            }
        }

        foreach (var node in prepared.NodesWithDirectives)
        {
            try
            {
                if (ExecutionHelper.GetDirectives(node, variables, options.Schema, options.Document) is { } directives)
                {
                    (validation.DirectiveValues ??= []).Add((ASTNode)node, directives);
                }
            }
            catch (ValidationError error)
            {
                validation.ReportError(error);
            }
        }

        if (!validation.HasErrors)
        {
            foreach (var rule in options.Rules!.OfType<ComplexityValidationRule>())
            {
                await rule.GetPostNodeVisitorAsync(validation);
            }

            // After the arguments, as in the full path: whether a field writes can depend on them (dryRun).
            foreach (var rule in options.Rules!.OfType<GraphQLAuthorizationRule>())
            {
                foreach (var (field, resource) in prepared.SelectedFields)
                {
                    rule.Check(validation, resource, field);
                }
            }
        }

        return new ValidationResult(validation.Errors)
        {
            Variables = variables,
            ArgumentValues = validation.ArgumentValues,
            DirectiveValues = validation.DirectiveValues,
        };
    }

    private static ValidationContext ContextFor(in ValidationOptions options, GraphQLDocument document, GraphQLOperationDefinition operation) => new()
    {
        Schema = options.Schema,
        Document = document,
        Operation = operation,
        Variables = options.Variables,
        Extensions = options.Extensions,
        UserContext = options.UserContext,
        RequestServices = options.RequestServices,
        User = options.User,
        Metrics = options.Metrics,
        CancellationToken = options.CancellationToken,
    };
}

/// <summary>
/// A validation rule whose answer depends on the document's text alone (and the transport, which is part of the
/// document cache's key): a prepared operation passed it once and does not run it again.
/// </summary>
internal interface IDocumentOnlyRule;
