using System.Text.Json;
using GraphQL;
using GraphQL.DI;
using GraphQL.Execution;
using GraphQLParser.AST;
using Portal.Catalog;
using Portal.Catalog.Entities;
using Portal.Catalog.Model;
using Portal.Gateway.Failures;
using Portal.Gateway.GraphQL.Execution;
using Portal.Postgres.Failures;

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
/// INTERNAL_ERROR (details only in development, where GraphQL.NET adds them), logged once with its stack.
/// </summary>
internal static class GraphQLErrors
{
    public const string InternalMessage = "An internal error occurred; it has been logged.";

    /// <summary>
    /// A GraphQL response of one error, written where no execution result exists (a request refused by the host before
    /// the GraphQL endpoint, or a failure after it), in the media type the endpoint would have answered with.
    /// </summary>
    public static async Task WriteErrorBodyAsync(HttpContext context, int statusCode, string code, string message)
    {
        var accept = context.Request.Headers.Accept.ToString();
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = (accept.Contains("application/graphql-response+json", StringComparison.OrdinalIgnoreCase)
            ? "application/graphql-response+json" : "application/json") + "; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteStartArray("errors");
        json.WriteStartObject();
        json.WriteString("message", message);
        json.WriteStartObject("extensions");
        json.WriteString("code", code);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(CancellationToken.None);
    }

    public static void Translate(UnhandledExceptionContext context)
    {
        var exception = context.OriginalException;
        ExecutionError? error = CatalogFailure.Of(exception) is { } failure
            ? new CatalogFailureError(failure, exception, CodeFor(failure.Kind))
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
            // Logged here, once: GraphQL.NET logs nothing of its own. The answer names no exception type (GraphQL.NET
            // would make its code of one) and carries the details only in development.
            var services = context.ExecutionOptions.RequestServices;
            services?.GetService<ILoggerFactory>()?.CreateLogger(typeof(GraphQLErrors))
                .LogError(exception, "GraphQL operation {Operation} failed at {Path}",
                    context.ExecutionOptions.OperationName ?? "(unnamed)", context.FieldContext?.Path is { } path ? string.Join('.', path) : "(the operation)");
            var development = services?.GetService<IHostEnvironment>()?.IsDevelopment() == true;
            context.Exception = new ExecutionError(InternalMessage, development ? exception : null) { Code = GraphQLErrorCodes.Internal };
        }
    }

    /// <summary>
    /// A step of every execution (both transports), after the operation has run: a query that lost its database
    /// connection (a restart) runs once more, on fresh connections and with a fresh loader (a query only reads; a
    /// mutation is never run twice). What still fails for want of the database is counted in the request outage log,
    /// once per operation, instead of logging a stack trace per failed request.
    /// </summary>
    public static async Task<ExecutionResult> RetryReadsOnceAsync(ExecutionOptions options, ExecutionDelegate next)
    {
        var result = await next(options);
        if (result.Operation?.Operation == OperationType.Query
            && options.UserContext is GraphQLUserContext portal
            && !options.CancellationToken.IsCancellationRequested
            && result.Errors?.OfType<CatalogFailureError>().FirstOrDefault(e => e.Failure.RetriesReads) is { } lost)
        {
            options.RequestServices?.GetService<ILoggerFactory>()?.CreateLogger(typeof(GraphQLErrors))
                .LogInformation("GraphQL operation {Operation} lost its database connection ({Failure}); running it once more",
                    options.OperationName ?? "(unnamed)", lost.Failure.Database is { } kind ? DatabaseFailure.Describe(kind) : lost.Message);
            portal.StartEvent();
            result = await next(options);
        }

        if (result.Errors?.OfType<CatalogFailureError>().FirstOrDefault(e => e.Failure.Kind == CatalogFailureKind.Unavailable) is { } unavailable)
        {
            options.RequestServices?.GetService<RequestOutageLog>()?.Failed(unavailable.Cause);
        }

        return result;
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

    /// <summary>The first problems in <c>extensions.problems</c>, and in <c>problemCount</c> how many there are.</summary>
    private static ExecutionError WithProblems(ExecutionError error, IReadOnlyList<CatalogProblem> problems)
    {
        error.Extensions ??= new Dictionary<string, object?>();
        error.Extensions["problemCount"] = problems.Count;
        error.Extensions["problems"] = problems.Take(CatalogLimits.MaxProblemsReported).Select(p => new Dictionary<string, object?>
        {
            ["level"] = p.Level == ProblemLevel.Error ? "error" : "warning",
            ["source"] = p.Source,
            ["document"] = p.Document,
            ["field"] = p.Field,
            ["message"] = p.Message,
        }).ToList();
        return error;
    }

    /// <summary>
    /// A failure of the catalog's table, with what the execution step above needs: the failure, and the exception it
    /// came from (kept aside, not as the inner exception: development answers would show that one's details).
    /// </summary>
    private sealed class CatalogFailureError : ExecutionError
    {
        public CatalogFailureError(CatalogFailure failure, Exception cause, string code)
            : base(failure.Message)
        {
            Failure = failure;
            Cause = cause;
            Code = code;
            if (failure.RetryAfterSeconds is { } seconds)
            {
                Extensions = new Dictionary<string, object?> { ["retryAfter"] = seconds };
            }
        }

        public CatalogFailure Failure { get; }

        public Exception Cause { get; }
    }
}
