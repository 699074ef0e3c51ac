using GraphQL;
using GraphQL.Execution;
using Portal.Catalog.Entities;
using Portal.Catalog.Model;
using Portal.Gateway.Failures;

namespace Portal.Gateway.GraphQL;

/// <summary>Error codes of the portal's GraphQL API, in <c>errors[].extensions.code</c>.</summary>
public static class GraphQLErrorCodes
{
    public const string ValidationFailed = "VALIDATION_FAILED";
    public const string NotFound = "NOT_FOUND";
    public const string Conflict = "CONFLICT";
    public const string Forbidden = "FORBIDDEN";
    public const string LocationUnreadable = "LOCATION_UNREADABLE";
    public const string Timeout = "TIMEOUT";
    public const string ServiceUnavailable = "SERVICE_UNAVAILABLE";
    public const string Internal = "INTERNAL_ERROR";
    public const string SubscriberTooSlow = "SUBSCRIBER_TOO_SLOW";
}

/// <summary>A thing the operation names does not exist.</summary>
public sealed class GraphQLNotFoundException(string message) : Exception(message);

/// <summary>
/// Turns the catalog's domain exceptions into GraphQL errors with a code (the table both APIs share:
/// <see cref="CatalogFailure"/>) and, for descriptor problems, the offending fields; anything else becomes an opaque
/// INTERNAL_ERROR (details only in development, where GraphQL.NET adds them).
/// </summary>
internal static class GraphQLErrors
{
    public static void Translate(UnhandledExceptionContext context)
    {
        var exception = context.OriginalException;
        var error = CatalogFailure.Of(exception) is { } failure
            ? new ExecutionError(failure.Message) { Code = CodeFor(failure.Kind) }
            : exception switch
            {
                // A malformed entity ref in an argument (EntityRef.Parse); REST checks refs before it parses them.
                FormatException => new ExecutionError(exception.Message) { Code = GraphQLErrorCodes.ValidationFailed },
                GraphQLNotFoundException => new ExecutionError(exception.Message) { Code = GraphQLErrorCodes.NotFound },
                _ => null,
            };
        if (error is not null)
        {
            context.Exception = exception is EntityValidationException invalid ? WithProblems(error, invalid.Problems) : error;
        }
        else if (exception is not ExecutionError)
        {
            context.ErrorMessage = "An internal error occurred; it has been logged.";
        }
    }

    private static string CodeFor(CatalogFailureKind kind) => kind switch
    {
        CatalogFailureKind.InvalidInput => GraphQLErrorCodes.ValidationFailed,
        CatalogFailureKind.NotAllowed => GraphQLErrorCodes.Forbidden,
        CatalogFailureKind.TargetUnreadable => GraphQLErrorCodes.LocationUnreadable,
        CatalogFailureKind.Conflict => GraphQLErrorCodes.Conflict,
        CatalogFailureKind.Unavailable => GraphQLErrorCodes.ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "a catalog failure kind without a GraphQL code"),
    };

    private static ExecutionError WithProblems(ExecutionError error, IReadOnlyList<CatalogProblem> problems)
    {
        error.Extensions ??= new Dictionary<string, object?>();
        error.Extensions["problems"] = problems.Select(p => new Dictionary<string, object?>
        {
            ["level"] = p.Level == ProblemLevel.Error ? "error" : "warning",
            ["source"] = p.Source,
            ["document"] = p.Document,
            ["field"] = p.Field,
            ["message"] = p.Message,
        }).ToList();
        return error;
    }
}
