using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Extensions;
using Portal.Gateway.Failures;
using Portal.Postgres.Failures;

namespace Portal.Gateway.Backstage;

/// <summary>
/// JSON responses of the Backstage-compatible REST API, for every plugin's routes (<c>Backstage/Catalog</c> today):
/// written straight to the connection (no intermediate document; the catalog's bounded reads go to memory first, to be
/// kept: CatalogAnswerCache), and every failure answered with Backstage's error
/// body <c>{error: {name, message}, request: {method, url}, response: {statusCode}}</c>.
/// </summary>
internal static class BackstageResponses
{
    /// <summary>The message of a 500: what failed is in the log, not in the answer.</summary>
    public const string UnexpectedMessage = "An unexpected error occurred while serving this request; it has been logged.";

    private const int FlushThresholdBytes = 32 * 1024;

    // What the JSON body reader may read past its limit before it notices (BoundedJsonBody's chunk).
    private const int BodyReadChunkBytes = 16 * 1024;

    private static readonly object ResponseStartedKey = new();

    /// <summary>
    /// Wraps a handler so that it runs within <see cref="BackstageApiOptions.RequestTimeout"/> (its
    /// <see cref="HttpContext.RequestAborted"/> is cancelled then, and with it the database work it started) and
    /// whatever it throws becomes the error body a Backstage client understands: a failure of the catalog's table
    /// (<see cref="CatalogFailure"/>) with its status, anything else a 500 logged once with its stack. A request that
    /// <paramref name="readsOnly"/> is run once more when its database connection was lost (a restart) before it
    /// answered; failures for want of the database are counted in the request outage log, not logged one by one.
    /// </summary>
    public static RequestDelegate Handle(Func<HttpContext, Task> handler, BackstageApiOptions options, Func<HttpContext, bool>? readsOnly = null) => async context =>
    {
        var clientAborted = context.RequestAborted;
        using var timeLimit = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        timeLimit.CancelAfter(options.RequestTimeout);
        context.RequestAborted = timeLimit.Token;
        try
        {
            await RunAsync(context, handler, options, readsOnly?.Invoke(context) == true);
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
#pragma warning disable CA1031 // The API's contract is an error body for every failure; unexpected ones are logged as errors.
        catch (Exception exception) when (timeLimit.IsCancellationRequested && !clientAborted.IsCancellationRequested)
        {
            // Whatever the cancelled work threw on its way out (a cancellation, a broken read), the time limit ended it.
            Logger(context).LogWarning("Backstage REST request {Method} {Path} was stopped at its time limit of {RequestTimeout} ({Failure})",
                context.Request.Method, context.Request.Path, options.RequestTimeout, exception.GetType().Name);
            await AnswerAsync(context, exception, CatalogFailure.TimedOut(options.RequestTimeout, $"{BackstageApiOptions.Section}:RequestTimeout"));
        }
        catch (Exception exception)
#pragma warning restore CA1031
        {
            var failure = exception is BackstageApiException or BadHttpRequestException ? null : CatalogFailure.Of(exception);
            if (failure?.Kind == CatalogFailureKind.Unavailable)
            {
                context.RequestServices.GetRequiredService<RequestOutageLog>().Failed(exception);
            }
            else if (failure is null && exception is not (BackstageApiException or BadHttpRequestException))
            {
                Logger(context).LogError(exception, "Backstage REST request {Method} {Path} failed", context.Request.Method, context.Request.Path);
            }

            await AnswerAsync(context, exception, failure);
        }
        finally
        {
            context.RequestAborted = clientAborted;
        }
    };

    /// <summary>
    /// Runs the handler; a read whose database connection was lost before it answered runs once more (Npgsql dropped
    /// the broken connection, so the second run gets a fresh one). Its body, if any, is kept to be read again.
    /// </summary>
    private static async Task RunAsync(HttpContext context, Func<HttpContext, Task> handler, BackstageApiOptions options, bool readsOnly)
    {
        if (!readsOnly)
        {
            await handler(context);
            return;
        }

        if (context.Request.ContentLength is not 0 && !HttpMethods.IsGet(context.Request.Method))
        {
            // In memory: the body reader stops at MaxRequestBytes (and a chunk), so that is all this can hold.
            context.Request.EnableBuffering(options.MaxRequestBytes + BodyReadChunkBytes);
        }

        try
        {
            await handler(context);
        }
        catch (Exception exception) when (CatalogFailure.Of(exception) is { RetriesReads: true } failure
            && !context.Items.ContainsKey(ResponseStartedKey) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            Logger(context).LogInformation("Backstage REST request {Method} {Path} lost its database connection ({Failure}); running it once more",
                context.Request.Method, context.Request.Path, failure.Database is { } kind ? DatabaseFailure.Describe(kind) : failure.Message);
            if (context.Request.Body.CanSeek)
            {
                context.Request.Body.Position = 0;
            }

            context.Response.Clear();
            await handler(context);
        }
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(BackstageResponses));

    private static async Task AnswerAsync(HttpContext context, Exception exception, CatalogFailure? failure)
    {
        if (context.Items.ContainsKey(ResponseStartedKey) || context.Response.HasStarted)
        {
            // Part of a body is out already: cut the connection rather than let the client take it for a whole answer.
            context.Abort();
            return;
        }

        var (status, name, message) = Classify(exception, failure);
        context.Response.Clear();
        if (failure?.RetryAfterSeconds is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        await WriteErrorAsync(context, status, name, message);
    }

    /// <summary>
    /// Forgets that a body was started: for a handler whose body went into memory (CatalogAnswerCache) and failed, so
    /// that the failure is answered with an error body instead of a cut connection.
    /// </summary>
    public static void Unstart(HttpContext context) => context.Items.Remove(ResponseStartedKey);

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
    private static (int Status, string Name, string Message) Classify(Exception exception, CatalogFailure? failure) => exception switch
    {
        BackstageApiException api => (api.StatusCode, api.Name, api.Message),
        BadHttpRequestException bad => (bad.StatusCode,
            bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "PayloadTooLargeError" : "InputError", bad.Message),
        _ when failure is not null => failure.Kind switch
        {
            CatalogFailureKind.InvalidInput or CatalogFailureKind.TargetUnreadable => (StatusCodes.Status400BadRequest, "InputError", failure.Message),
            CatalogFailureKind.NotAllowed => (StatusCodes.Status403Forbidden, "NotAllowedError", failure.Message),
            CatalogFailureKind.Conflict => (StatusCodes.Status409Conflict, "ConflictError", failure.Message),
            CatalogFailureKind.Unavailable => (StatusCodes.Status503ServiceUnavailable, "ServiceUnavailableError", failure.Message),
            _ => throw new ArgumentOutOfRangeException(nameof(failure), failure.Kind, "a catalog failure kind without a REST answer"),
        },
        _ => (StatusCodes.Status500InternalServerError, "Error", UnexpectedMessage),
    };
}
