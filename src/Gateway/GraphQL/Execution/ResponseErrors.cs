using GraphQL;
using GraphQL.Validation;
using Portal.Gateway.GraphQL.Protection;

namespace Portal.Gateway.GraphQL.Execution;

/// <summary>
/// What a response says about its errors, on every transport: at most <c>Graph:MaxErrors</c> of them and one more
/// saying how many were left out (ten thousand repeated directives once made a 2.4 MB answer to a small request), and,
/// with introspection switched off, no suggestions: GraphQL.NET's rules add "Did you mean 'entities'?" to an unknown
/// field, argument or type, which would hand out the schema that switching introspection off hides.
/// </summary>
internal static class ResponseErrors
{
    public const string TooManyErrors = "TOO_MANY_ERRORS";

    // GraphQL.NET's wording for every suggestion (FieldsOnCorrectTypeError, KnownArgumentNamesError,
    // KnownTypeNamesError); names in a GraphQL document are letters, digits and underscores, so the text before it
    // never holds it.
    private const string Suggestion = " Did you mean ";

    public static ExecutionErrors? Bound(ExecutionErrors? errors, GraphQLOptions options)
    {
        if (errors is not { Count: > 0 })
        {
            return errors;
        }

        var max = options.MaxErrors;

        // A validation that stopped early ends with its own error saying so; the list is as long as allowed.
        var over = errors.Count > max && !(errors.Count == max + 1 && errors[max] is ValidationStoppedError);
        var hide = !options.EnableIntrospection && errors.Any(HasSuggestion);
        if (!over && !hide)
        {
            return errors;
        }

        var kept = over ? max : errors.Count;
        var bounded = new ExecutionErrors();
        for (var i = 0; i < kept; i++)
        {
            bounded.Add(hide && HasSuggestion(errors[i]) ? WithoutSuggestion((ValidationError)errors[i]) : errors[i]);
        }

        if (over)
        {
            var left = errors.Count - kept;
            bounded.Add(new ExecutionError(
                $"{left} more error{(left == 1 ? " was" : "s were")} left out: a response lists at most {max} (Graph:MaxErrors).")
            {
                Code = TooManyErrors,
            });
        }

        return bounded;
    }

    private static bool HasSuggestion(ExecutionError error) =>
        error is ValidationError && error.Message.Contains(Suggestion, StringComparison.Ordinal);

    private static ValidationError WithoutSuggestion(ValidationError error)
    {
        var message = error.Message[..error.Message.IndexOf(Suggestion, StringComparison.Ordinal)];
        var copy = new ValidationError(message) { Code = error.Code, Number = error.Number, Path = error.Path, Extensions = error.Extensions };
        foreach (var location in error.Locations ?? [])
        {
            copy.AddLocation(location);
        }

        return copy;
    }
}
