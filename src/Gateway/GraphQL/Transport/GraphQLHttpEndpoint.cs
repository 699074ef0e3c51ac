using System.Text.Json;
using GraphQL;
using GraphQL.Execution;
using GraphQL.Transport;
using Microsoft.Extensions.Options;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Protection;
using Portal.Gateway.Hosting.Http;
using Portal.Gateway.Hosting.Load;

namespace Portal.Gateway.GraphQL.Transport;

/// <summary>
/// <c>GET</c> and <c>POST /graphql</c>, following the GraphQL-over-HTTP specification: the response media type
/// follows the Accept header (<c>application/graphql-response+json</c> preferred, <c>application/json</c> for older
/// clients), request errors answer 4xx under the new media type and 200 under the legacy one, and a GET can never
/// run a mutation.
/// </summary>
internal sealed class GraphQLHttpEndpoint(
    GraphQLExecution execution,
    IGraphQLTextSerializer serializer,
    IOptions<GraphQLOptions> options,
    ILogger<GraphQLHttpEndpoint> logger)
{
    internal const string GraphQLResponseMediaType = "application/graphql-response+json";
    internal const string JsonMediaType = "application/json";

    // A short execution limit (a test's, a strict deployment's) is no reason to cut a client off mid-answer.
    private static readonly TimeSpan MinWriteTime = TimeSpan.FromSeconds(5);

    public async Task HandleAsync(HttpContext context)
    {
        try
        {
            await HandleRequestAsync(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: there is no one to answer.
        }
        catch (BadHttpRequestException bad) when (!context.Response.HasStarted)
        {
            // The client's own fault as the server saw it (a body cut short, one sent too slowly): its status, and no
            // error in the log, or each such client would write a stack trace there.
            await WriteRequestErrorAsync(context, JsonMediaType, bad.StatusCode, bad.Message);
        }
#pragma warning disable CA1031 // Not swallowed: logged once, and answered as GraphQL's error instead of an empty 500.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            logger.LogError(exception, "A GraphQL request failed outside the execution");
            if (context.Response.HasStarted)
            {
                context.Abort(); // a truncated body must not pass for a complete one
                return;
            }

            context.Response.Clear();
            await WriteAsync(context, JsonMediaType, StatusCodes.Status500InternalServerError, new ExecutionResult
            {
                Errors = [new ExecutionError("An internal error occurred; it has been logged.") { Code = GraphQLErrorCodes.Internal }],
            });
        }
    }

    private async Task HandleRequestAsync(HttpContext context)
    {
        var responseMediaType = NegotiateMediaType(context.Request);
        if (responseMediaType is null)
        {
            await WriteRequestErrorAsync(context, JsonMediaType, StatusCodes.Status406NotAcceptable,
                $"The Accept header must allow {GraphQLResponseMediaType} or {JsonMediaType}.");
            return;
        }

        var parsed = HttpMethods.IsGet(context.Request.Method)
            ? ReadGetRequest(context.Request)
            : await ReadPostRequestAsync(context);
        if (parsed.Error is { } error)
        {
            await WriteRequestErrorAsync(context, responseMediaType, error.StatusCode, error.Message);
            return;
        }

        if (parsed.Batch is { } batch)
        {
            var results = new List<ExecutionResult>(batch.Count);
            foreach (var request in batch)
            {
                results.Add(await ExecuteAsync(context, request, isGet: false));
            }

            await WriteAsync(context, responseMediaType, StatusCodes.Status200OK, results);
            return;
        }

        var single = parsed.Request!;
        var result = await ExecuteAsync(context, single, HttpMethods.IsGet(context.Request.Method));
        if (result.Errors?.FirstOrDefault(e => e is MutationOverGetError) is not null)
        {
            context.Response.Headers.Allow = "POST";
            await WriteAsync(context, responseMediaType, StatusCodes.Status405MethodNotAllowed, result);
            return;
        }

        // Under the legacy media type every well-formed request answers 200; under the new one, a request that never
        // executed (parse, validation or variable errors) is the client's fault and answers 400.
        // An operation cut off by the execution time limit is the server's limit, not a bad request.
        // A database that cannot serve now (SERVICE_UNAVAILABLE) says when to try again, under either media type; under
        // the new one, an answer with no data at all because of it is the server's 503.
        var retryAfter = RetryAfterSeconds(result);
        if (retryAfter is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var status = responseMediaType != GraphQLResponseMediaType ? StatusCodes.Status200OK
            : result.Errors?.Any(e => e is TimeoutError) == true ? StatusCodes.Status504GatewayTimeout
            : !result.Executed ? StatusCodes.Status400BadRequest
            : retryAfter is not null && result.Data is null && result.Errors!.All(e => e.Code == GraphQLErrorCodes.ServiceUnavailable)
                ? StatusCodes.Status503ServiceUnavailable
            : StatusCodes.Status200OK;
        await WriteAsync(context, responseMediaType, status, result);
    }

    /// <summary>The longest wait any SERVICE_UNAVAILABLE error of the result asks for, or null when there is none.</summary>
    private static int? RetryAfterSeconds(ExecutionResult result)
    {
        int? longest = null;
        foreach (var error in result.Errors ?? [])
        {
            if (error.Code == GraphQLErrorCodes.ServiceUnavailable && error.Extensions?.TryGetValue("retryAfter", out var value) == true
                && value is int seconds && seconds > (longest ?? 0))
            {
                longest = seconds;
            }
        }

        return longest;
    }

    private Task<ExecutionResult> ExecuteAsync(HttpContext context, GraphQLRequest request, bool isGet) =>
        execution.ExecuteAsync(request, isGet ? GraphQLTransport.HttpGet : GraphQLTransport.HttpPost, context, context.RequestAborted);

    private ParsedRequest ReadGetRequest(HttpRequest http)
    {
        var query = http.Query;
        if (!query.TryGetValue("query", out var text) || string.IsNullOrWhiteSpace(text))
        {
            return ParsedRequest.Fail(StatusCodes.Status400BadRequest, "The 'query' parameter is required.");
        }

        var request = new GraphQLRequest { Query = text.ToString() };
        if (query.TryGetValue("operationName", out var operationName) && !string.IsNullOrEmpty(operationName))
        {
            request.OperationName = operationName.ToString();
        }

        foreach (var member in (ReadOnlySpan<string>)["variables", "extensions"])
        {
            if (!query.TryGetValue(member, out var parameter) || string.IsNullOrEmpty(parameter))
            {
                continue;
            }

            JsonDocument json;
            try
            {
                json = JsonDocument.Parse(parameter.ToString(), new JsonDocumentOptions { MaxDepth = BoundedJsonBody.MaxDepth });
            }
            catch (JsonException exception)
            {
                return ParsedRequest.Fail(StatusCodes.Status400BadRequest, $"The '{member}' parameter is not JSON: {exception.Message}");
            }

            using (json)
            {
                if (json.RootElement.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                {
                    return ParsedRequest.Fail(StatusCodes.Status400BadRequest, $"The '{member}' parameter must be a JSON object.");
                }

                if (!GraphQLRequestReader.TryReadInputs(json.RootElement, member, serializer, out var inputs, out var problem))
                {
                    return ParsedRequest.Fail(StatusCodes.Status400BadRequest, $"Invalid request: {problem!.Message}.");
                }

                if (member == "variables")
                {
                    request.Variables = inputs;
                }
                else
                {
                    request.Extensions = inputs;
                }
            }
        }

        return new ParsedRequest(request, null, null);
    }

    private async Task<ParsedRequest> ReadPostRequestAsync(HttpContext context)
    {
        var limit = options.Value.MaxRequestBytes;
        using var body = await BoundedJsonBody.ReadAsync(context.Request, limit, context.RequestAborted);
        switch (body.Failure)
        {
            case JsonBodyFailure.UnsupportedMediaType:
                return ParsedRequest.Fail(StatusCodes.Status415UnsupportedMediaType,
                    $"The request body must be {JsonMediaType}; got '{context.Request.ContentType ?? "no Content-Type"}'.");

            case JsonBodyFailure.TooLarge:
                return ParsedRequest.Fail(StatusCodes.Status413PayloadTooLarge, $"The request body is larger than {limit} bytes.");

            // An empty body is not JSON either: GraphQL answers it with the parser's words.
            case JsonBodyFailure.Empty or JsonBodyFailure.InvalidJson:
                return ParsedRequest.Fail(StatusCodes.Status400BadRequest, $"The request body is not valid JSON: {body.ParseError}");
        }

        switch (body.RootElement.ValueKind)
        {
            case JsonValueKind.Object:
                return GraphQLRequestReader.Read(body.RootElement, serializer, out var invalid) is { } single
                    ? new ParsedRequest(single, null, null)
                    : ParsedRequest.Fail(StatusCodes.Status400BadRequest, $"Invalid request: {invalid!.Message}.");

            case JsonValueKind.Array when !options.Value.AllowBatching:
                return ParsedRequest.Fail(StatusCodes.Status400BadRequest,
                    "Batched requests (a JSON array of operations) are not enabled on this server; send one operation per request.");

            case JsonValueKind.Array:
                var count = body.RootElement.GetArrayLength();
                if (count == 0 || count > options.Value.MaxBatchSize)
                {
                    return ParsedRequest.Fail(StatusCodes.Status400BadRequest,
                        $"A batch must hold between 1 and {options.Value.MaxBatchSize} operations; this one holds {count}.");
                }

                var batch = new List<GraphQLRequest>(count);
                var index = 0;
                foreach (var element in body.RootElement.EnumerateArray())
                {
                    if (GraphQLRequestReader.Read(element, serializer, out var error) is not { } request)
                    {
                        return ParsedRequest.Fail(StatusCodes.Status400BadRequest, $"Operation {index} of the batch: {error!.Message}.");
                    }

                    batch.Add(request);
                    index++;
                }

                return new ParsedRequest(null, batch, null);

            default:
                return ParsedRequest.Fail(StatusCodes.Status400BadRequest,
                    "The request body must be a JSON object with a 'query' member.");
        }
    }

    private static string? NegotiateMediaType(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return JsonMediaType; // The specification's rule for clients that send no Accept header.
        }

        foreach (var candidate in accept.OrderByDescending(value => value.Quality ?? 1))
        {
            if (candidate.Quality == 0)
            {
                continue;
            }

            if (candidate.MediaType.Equals(GraphQLResponseMediaType, StringComparison.OrdinalIgnoreCase)
                || candidate.MediaType.Equals("application/*", StringComparison.OrdinalIgnoreCase)
                || candidate.MediaType.Equals("*/*", StringComparison.OrdinalIgnoreCase))
            {
                return GraphQLResponseMediaType;
            }

            if (candidate.MediaType.Equals(JsonMediaType, StringComparison.OrdinalIgnoreCase))
            {
                return JsonMediaType;
            }
        }

        return null;
    }

    private Task WriteRequestErrorAsync(HttpContext context, string mediaType, int status, string message) =>
        WriteAsync(context, mediaType, status, new ExecutionResult { Errors = [new RequestError(message)] });

    private async Task WriteAsync<T>(HttpContext context, string mediaType, int status, T payload)
    {
        // The answer is in memory: writing it needs none of the replica's turns, and a client reading it slowly gets
        // as long as an operation gets to run (at least MinWriteTime), then its connection is cut.
        context.ReleaseServingTurn();
        context.Response.StatusCode = status;
        context.Response.ContentType = mediaType + "; charset=utf-8";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        limit.CancelAfter(options.Value.ExecutionTimeout > MinWriteTime ? options.Value.ExecutionTimeout : MinWriteTime);
        try
        {
            await serializer.WriteAsync(context.Response.Body, payload, limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            logger.LogInformation("A GraphQL answer was not read within {ExecutionTimeout}; the connection was closed", options.Value.ExecutionTimeout);
            context.Abort();
        }
    }

    private sealed record ParsedRequest(GraphQLRequest? Request, List<GraphQLRequest>? Batch, (int StatusCode, string Message)? Error)
    {
        public static ParsedRequest Fail(int statusCode, string message) => new(null, null, (statusCode, message));
    }

    private sealed class RequestError : ExecutionError
    {
        public RequestError(string message) : base(message)
        {
            Code = "BAD_REQUEST";
        }
    }
}
