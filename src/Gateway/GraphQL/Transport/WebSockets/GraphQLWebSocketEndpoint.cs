using System.Net.WebSockets;
using GraphQL;
using Microsoft.Extensions.Options;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.Hosting.Load;

namespace Portal.Gateway.GraphQL.Transport.WebSockets;

/// <summary>
/// GraphQL over WebSocket on <c>/graphql</c>, with the <c>graphql-transport-ws</c> subprotocol (the protocol of the
/// graphql-ws library). A handshake that does not offer that subprotocol is accepted and closed at once with 4406, as
/// the protocol's reference server does, so the client learns why. A replica holds at most
/// <see cref="GraphQLWebSocketOptions.MaxSockets"/> sockets, and each query or mutation sent over one waits for its turn
/// in the replica's queue like a request over HTTP (<see cref="RequestQueue"/>).
/// </summary>
internal sealed class GraphQLWebSocketEndpoint(
    GraphQLExecution execution,
    IGraphQLTextSerializer serializer,
    IOptions<GraphQLWebSocketOptions> options,
    IHostApplicationLifetime lifetime,
    RequestQueue queue,
    ILogger<GraphQLWebSocketConnection> logger)
{
    private int _open;

    public async Task HandleAsync(HttpContext context)
    {
        var settings = options.Value;
        if (Interlocked.Increment(ref _open) > settings.MaxSockets)
        {
            Interlocked.Decrement(ref _open);
            await queue.RefuseAsync(context, $"This replica holds as many WebSocket connections as it may ({settings.MaxSockets}, Graph:WebSockets:MaxSockets); try again shortly.");
            return;
        }

        try
        {
            await ServeAsync(context, settings);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    private async Task ServeAsync(HttpContext context, GraphQLWebSocketOptions settings)
    {
        if (!context.WebSockets.WebSocketRequestedProtocols.Contains(TransportWs.Subprotocol, StringComparer.Ordinal))
        {
            using var refused = await context.WebSockets.AcceptWebSocketAsync();
            await refused.CloseOutputAsync((WebSocketCloseStatus)TransportWs.SubprotocolNotAcceptable,
                $"Subprotocol not acceptable: use {TransportWs.Subprotocol}", context.RequestAborted);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = TransportWs.Subprotocol,
            KeepAliveInterval = settings.KeepAliveInterval,
            KeepAliveTimeout = settings.KeepAliveInterval > TimeSpan.Zero ? settings.KeepAliveInterval : Timeout.InfiniteTimeSpan,
        });
        var connection = new GraphQLWebSocketConnection(socket, context, execution, serializer, settings, queue, logger);

        // A stopping replica closes its sockets with 1001 (going away) at once: clients reconnect, to another replica.
        using var stopping = lifetime.ApplicationStopping.Register(connection.CloseForShutdown);
        await connection.RunAsync();
    }
}

/// <summary>The names and close codes of the graphql-transport-ws protocol.</summary>
internal static class TransportWs
{
    public const string Subprotocol = "graphql-transport-ws";

    public const int BadRequest = 4400;
    public const int Unauthorized = 4401;
    public const int SubprotocolNotAcceptable = 4406;
    public const int ConnectionInitialisationTimeout = 4408;
    public const int SubscriberAlreadyExists = 4409;
    public const int TooManyInitialisationRequests = 4429;
    public const int InternalServerError = 4500;
}
