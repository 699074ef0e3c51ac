using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Portal.Gateway.Backstage;
using Portal.Gateway.Failures;
using Portal.Gateway.GraphQL;
using Portal.Gateway.Hosting.Health;
using Portal.Gateway.Hosting.Http;
using Portal.Gateway.Hosting.Telemetry;

namespace Portal.Gateway.Hosting.Load;

/// <summary>
/// A concurrency limit per replica with a first-come first-served queue, bounded in length and in time
/// (<see cref="LoadOptions"/>). Past the limit a request waits its turn; when the queue is full, or its turn does not
/// come within the queue timeout, it is answered 503 with <c>Retry-After</c> at once, in its surface's error shape,
/// instead of joining a pile that makes every request late (and a load balancer sends it to another replica).
/// A request body is received in full before the request queues, and an answer already computed may give its turn
/// back before it is written (<see cref="ReleaseServingTurn"/>), so that a slow client cannot hold the turns.
/// Health probes, metrics scrapes and WebSocket sessions are never queued: a probe must answer while the replica is
/// busy, or an orchestrator takes a loaded replica for a dead one, and a socket lives for hours (its operations have
/// limits of their own).
/// </summary>
public static class LoadShedding
{
    public const string MeterName = "Portal.Gateway.Load";

    public static IHostApplicationBuilder AddPortalLoadShedding(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LoadOptions>()
            .BindConfiguration(LoadOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<RequestQueue>();
        return builder;
    }

    /// <summary>Place after <c>UseWebSockets</c> (it tells a socket's upgrade request apart) and before the endpoints.</summary>
    public static IApplicationBuilder UsePortalLoadShedding(this IApplicationBuilder app) => app.UseMiddleware<LoadSheddingMiddleware>();

    /// <summary>
    /// Gives back the request's turn before it is over, once what is left is writing an answer already in memory: a
    /// client that reads its answer slowly then holds a connection, not one of the replica's turns.
    /// </summary>
    public static void ReleaseServingTurn(this HttpContext context) => context.Features.Get<ServingTurn>()?.Release();

    private sealed class LoadSheddingMiddleware(
        RequestDelegate next, RequestQueue queue, IOptions<LoadOptions> options, IOptions<GraphQLOptions> graph, IConfiguration configuration)
    {
        // The largest body any surface accepts; a larger one is refused by every surface, so it is refused here.
        private readonly int _maxBodyBytes = Math.Max(graph.Value.MaxRequestBytes, BackstageApiOptions.From(configuration).MaxRequestBytes);

        public async Task InvokeAsync(HttpContext context)
        {
            if (IsExempt(context))
            {
                await next(context);
                return;
            }

            // A body still on its way is received before the request queues for its turn: a client that sends it
            // slowly (a byte a second keeps a connection open for hours) then holds a connection, not a turn.
            if (!await RequestBodies.ReceiveAsync(context, _maxBodyBytes, options.Value.RequestBodyTimeout))
            {
                return;
            }

            using var lease = await queue.WaitForTurnAsync(context.RequestAborted);
            if (lease is null)
            {
                await queue.RefuseAsync(context);
                return;
            }

            using var turn = new ServingTurn(lease);
            context.Features.Set(turn);
            await next(context);
        }

        private static bool IsExempt(HttpContext context) =>
            context.WebSockets.IsWebSocketRequest
            || context.Request.Path.StartsWithSegments(HealthEndpoints.AlivePath)
            || context.Request.Path.StartsWithSegments(HealthEndpoints.ReadyPath)
            || context.Request.Path.StartsWithSegments(TelemetryRegistration.MetricsPath);
    }

    /// <summary>A request's turn, given back when the request ends or earlier (<see cref="ReleaseServingTurn"/>), once.</summary>
    private sealed class ServingTurn(RateLimitLease lease) : IDisposable
    {
        private int _released;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                lease.Dispose();
            }
        }

        public void Dispose() => Release();
    }
}

/// <summary>The replica's one queue of requests (a singleton): the limiter and what it refused.</summary>
internal sealed class RequestQueue : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;
    private readonly LoadOptions _options;
    private readonly Meter _meter = new(LoadShedding.MeterName);
    private readonly Counter<long> _refused;

    public RequestQueue(IOptions<LoadOptions> options)
    {
        _options = options.Value;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = _options.ConcurrentRequests,
            QueueLimit = _options.QueuedRequests,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _refused = _meter.CreateCounter<long>("portal.gateway.requests.refused", description: "Requests answered 503 because the replica was at its concurrency limit");
    }

    /// <summary>A lease to hold while the request runs, or null when it is refused (queue full, or its turn came too late).</summary>
    public async ValueTask<RateLimitLease?> WaitForTurnAsync(CancellationToken requestAborted)
    {
        // The common case, a free slot and nobody waiting, costs no timer.
        var lease = _limiter.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        using var turn = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        turn.CancelAfter(_options.QueueTimeout);
        try
        {
            lease = await _limiter.AcquireAsync(1, turn.Token);
        }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
            _refused.Add(1, new KeyValuePair<string, object?>("reason", "queue_timeout"));
            return null;
        }

        if (!lease.IsAcquired)
        {
            lease.Dispose();
            _refused.Add(1, new KeyValuePair<string, object?>("reason", "queue_full"));
            return null;
        }

        return lease;
    }

    public const string BusyMessage = "The portal is serving as many requests as it can right now; try again shortly.";

    /// <summary>503 with <c>Retry-After</c>, as a GraphQL response on the GraphQL endpoint and as Backstage's error body elsewhere.</summary>
    public Task RefuseAsync(HttpContext context, string message = BusyMessage)
    {
        context.Response.Headers.RetryAfter = _options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ErrorBodies.AnswerAsync(context, StatusCodes.Status503ServiceUnavailable, "ServiceUnavailableError", GraphQLErrorCodes.ServiceUnavailable, message);
    }

    public void Dispose()
    {
        _limiter.Dispose();
        _meter.Dispose();
    }
}
