using System.Text.Json;
using Microsoft.AspNetCore.Http.Extensions;
using Portal.Gateway.Failures;

namespace Portal.Gateway.Backstage;

/// <summary>
/// JSON responses of the Backstage-compatible REST API, for every plugin's routes (<c>Backstage/Catalog</c> today):
/// written straight to the connection (no intermediate document), and every failure answered with Backstage's error
/// body <c>{error: {name, message}, request: {method, url}, response: {statusCode}}</c>.
/// </summary>
internal static class BackstageResponses
{
    private const int FlushThresholdBytes = 32 * 1024;
    private static readonly object ResponseStartedKey = new();

    /// <summary>Wraps a handler so that whatever it throws becomes the error body a Backstage client understands.</summary>
    public static RequestDelegate Handle(Func<HttpContext, Task> handler) => async context =>
    {
        try
        {
            await handler(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
#pragma warning disable CA1031 // The API's contract is an error body for every failure; unexpected ones are logged as errors.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            var (status, name, message) = Classify(exception);
            if (status >= StatusCodes.Status500InternalServerError)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BackstageResponses))
                    .LogError(exception, "Backstage REST request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            }

            if (context.Items.ContainsKey(ResponseStartedKey) || context.Response.HasStarted)
            {
                // Part of a body is out already: cut the connection rather than let the client take it for a whole answer.
                context.Abort();
                return;
            }

            await WriteErrorAsync(context, status, name, message);
        }
    };

    /// <summary>Starts a JSON body with the status; the caller writes one value and calls <see cref="Finish"/>.</summary>
    public static Utf8JsonWriter Start(HttpContext context, int statusCode = StatusCodes.Status200OK)
    {
        context.Items[ResponseStartedKey] = true;
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        return new Utf8JsonWriter(context.Response.BodyWriter);
    }

    /// <summary>Sends what is written so far once it passes a chunk, so that long lists stream instead of piling up.</summary>
    public static async ValueTask FlushIfLargeAsync(Utf8JsonWriter json, HttpContext context)
    {
        if (json.BytesPending >= FlushThresholdBytes)
        {
            json.Flush();
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        }
    }

    /// <summary>
    /// Hands the rest of the body to the server without flushing the response: the server sends it with the end of the
    /// response in one write, where a flush here would split a small answer into two packets.
    /// </summary>
    public static void Finish(Utf8JsonWriter json) => json.Flush();

    /// <summary>A status with no body (Backstage answers 200 to a refresh and 204 to a delete this way).</summary>
    public static Task EmptyAsync(HttpContext context, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        return Task.CompletedTask;
    }

    public static async Task WriteErrorAsync(HttpContext context, int statusCode, string name, string message)
    {
        await using var json = Start(context, statusCode);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("name", name);
        json.WriteString("message", message);
        json.WriteEndObject();
        json.WriteStartObject("request");
        json.WriteString("method", context.Request.Method);
        json.WriteString("url", context.Request.GetEncodedPathAndQuery());
        json.WriteEndObject();
        json.WriteStartObject("response");
        json.WriteNumber("statusCode", statusCode);
        json.WriteEndObject();
        json.WriteEndObject();
        Finish(json);
    }

    /// <summary>The status and Backstage error name for a failure (the catalog's own failures: <see cref="CatalogFailure"/>).</summary>
    private static (int Status, string Name, string Message) Classify(Exception exception) => exception switch
    {
        BackstageApiException api => (api.StatusCode, api.Name, api.Message),
        BadHttpRequestException bad => (bad.StatusCode,
            bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "PayloadTooLargeError" : "InputError", bad.Message),
        _ when CatalogFailure.Of(exception) is { } failure => failure.Kind switch
        {
            CatalogFailureKind.InvalidInput or CatalogFailureKind.TargetUnreadable => (StatusCodes.Status400BadRequest, "InputError", failure.Message),
            CatalogFailureKind.NotAllowed => (StatusCodes.Status403Forbidden, "NotAllowedError", failure.Message),
            CatalogFailureKind.Conflict => (StatusCodes.Status409Conflict, "ConflictError", failure.Message),
            CatalogFailureKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "ServiceUnavailableError", failure.Message),
            _ => throw new ArgumentOutOfRangeException(nameof(exception), failure.Kind, "a catalog failure kind without a REST answer"),
        },
        _ => (StatusCodes.Status500InternalServerError, "Error", "An unexpected error occurred while serving this request; it has been logged."),
    };
}
