using System.Text.Json;
using Portal.Gateway.Backstage;
using Portal.Gateway.Backstage.Catalog;
using Portal.Gateway.GraphQL;

namespace Portal.Gateway.Failures;

/// <summary>
/// The last line of the gateway's error handling: an exception that escaped every surface's own (a bug) is logged
/// once with its stack and answered 500 with a body in the shape the caller speaks (Backstage's error body under the
/// REST API, a GraphQL error at <c>/graphql</c>, a small JSON object elsewhere), never with an empty one. A request the
/// server itself found malformed (a body cut short, sent too slowly, larger than the server takes) is the client's
/// fault: it is answered with its own status and not logged as an error.
/// </summary>
public static class ErrorBodies
{
    /// <summary>Put first in the pipeline (after the host's own), so that it sees what every later step throws.</summary>
    public static IApplicationBuilder UsePortalErrorBodies(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (BadHttpRequestException bad) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await AnswerAsync(context, bad.StatusCode, "InputError", "BAD_REQUEST", bad.Message);
        }
#pragma warning disable CA1031 // The last resort: every failure gets a body, and is logged with its stack.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ErrorBodies))
                .LogError(exception, "Request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            if (context.Response.HasStarted)
            {
                // Part of an answer is out (a WebSocket is open): cutting it is all that is left.
                context.Abort();
                return;
            }

            context.Response.Clear();
            await AnswerAsync(context, StatusCodes.Status500InternalServerError, "Error", GraphQLErrorCodes.Internal, null);
        }
    });

    /// <summary>
    /// An error answered before or outside a surface's own handling, in the caller's shape: Backstage's error body
    /// (<paramref name="restName"/>) under the REST API, a GraphQL error (<paramref name="graphCode"/>) at
    /// <c>/graphql</c>, a small JSON object elsewhere. A null message is the generic one for an unexpected failure.
    /// </summary>
    internal static async Task AnswerAsync(HttpContext context, int status, string restName, string graphCode, string? message)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments(BackstageCatalogEndpoints.BasePath, StringComparison.OrdinalIgnoreCase))
        {
            await BackstageResponses.WriteErrorAsync(context, status, restName, message ?? BackstageResponses.UnexpectedMessage);
            return;
        }

        if (path.StartsWithSegments("/graphql", StringComparison.OrdinalIgnoreCase))
        {
            await GraphQLErrors.WriteErrorBodyAsync(context, status, graphCode, message ?? GraphQLErrors.InternalMessage);
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("error", message ?? "An unexpected error occurred while serving this request; it has been logged.");
        json.WriteEndObject();
        await json.FlushAsync(CancellationToken.None);
    }
}
