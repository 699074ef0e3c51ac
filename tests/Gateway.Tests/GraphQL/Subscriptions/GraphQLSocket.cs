using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Gateway.Tests.GraphQL.Subscriptions;

/// <summary>A graphql-transport-ws client over a real WebSocket, reading one message at a time.</summary>
internal sealed class GraphQLSocket : IAsyncDisposable
{
    public const string Subprotocol = "graphql-transport-ws";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly ClientWebSocket _socket;
    private readonly HttpMessageInvoker _invoker;

    private GraphQLSocket(ClientWebSocket socket, HttpMessageInvoker invoker)
    {
        _socket = socket;
        _invoker = invoker;
    }

    public WebSocket Socket => _socket;

    /// <summary>
    /// Opens a socket on the gateway's /graphql. <paramref name="receiveBufferBytes"/> shrinks the client's TCP
    /// receive buffer, so that a client that stops reading pushes back on the server quickly.
    /// </summary>
    public static async Task<GraphQLSocket> ConnectAsync(
        Uri baseAddress, string[]? subprotocols = null, int? receiveBufferBytes = null)
    {
        var socket = new ClientWebSocket();
        foreach (var subprotocol in subprotocols ?? [Subprotocol])
        {
            socket.Options.AddSubProtocol(subprotocol);
        }

        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var handler = new SocketsHttpHandler();
        if (receiveBufferBytes is { } bytes)
        {
            handler.ConnectCallback = async (context, token) =>
            {
                var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = bytes };
                try
                {
                    await tcp.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(tcp, ownsSocket: true);
                }
                catch
                {
                    tcp.Dispose();
                    throw;
                }
            };
        }

        var invoker = new HttpMessageInvoker(handler);
        var uri = new UriBuilder(baseAddress) { Scheme = "ws", Path = "/graphql" }.Uri;
        await socket.ConnectAsync(uri, invoker, TestContext.Current.CancellationToken);
        return new GraphQLSocket(socket, invoker);
    }

    /// <summary>Connects and completes connection_init / connection_ack.</summary>
    public static async Task<GraphQLSocket> ConnectAndInitAsync(Uri baseAddress)
    {
        var socket = await ConnectAsync(baseAddress);
        await socket.SendAsync("""{"type":"connection_init"}""");
        var ack = await socket.ReceiveAsync();
        Assert.Equal("connection_ack", Type(ack));
        return socket;
    }

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public Task SubscribeAsync(string id, string query, object? variables = null, string? operationName = null) =>
        SendAsync(JsonSerializer.Serialize(new
        {
            id,
            type = "subscribe",
            payload = new { query, variables, operationName },
        }));

    /// <summary>The next message; fails if the socket closes or nothing arrives in time.</summary>
    public async Task<JsonObject> ReceiveAsync(TimeSpan? timeout = null)
    {
        var (message, close) = await ReceiveMessageAsync(timeout ?? DefaultTimeout);
        Assert.True(message is not null, $"Expected a message; the socket closed with {close?.Status} '{close?.Description}'.");
        return message!;
    }

    /// <summary>Reads until the server's close frame and returns its code and reason; fails on any message first.</summary>
    public async Task<(int Status, string Description)> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        var (message, close) = await ReceiveMessageAsync(timeout ?? DefaultTimeout);
        Assert.True(close is not null, $"Expected the socket to close; got {message?.ToJsonString()}.");
        return (close!.Value.Status, close.Value.Description);
    }

    /// <summary>Whether no message arrives within <paramref name="wait"/> (the socket must stay open).</summary>
    public async Task AssertSilentAsync(TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        var pending = ReceiveMessageAsync(Timeout.InfiniteTimeSpan, timeout.Token);
        try
        {
            var (message, close) = await pending;
            Assert.Fail($"Expected silence; got {message?.ToJsonString() ?? $"close {close?.Status}"}.");
        }
        catch (OperationCanceledException)
        {
            // Nothing arrived: as expected. Cancelling a receive aborts the client socket, which the test no longer uses.
        }
    }

    public static string? Type(JsonObject message) => (string?)message["type"];

    /// <summary>Equal JSON, whatever the order of members.</summary>
    public static void AssertJson(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"Expected {expected}, got {actual.ToJsonString()}.");

    private async Task<(JsonObject? Message, (int Status, string Description)? Close)> ReceiveMessageAsync(
        TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(timeout);
        }

        var buffer = new byte[64 * 1024];
        using var text = new MemoryStream();
        WebSocketReceiveResult result;
        try
        {
            do
            {
                result = await _socket.ReceiveAsync(buffer, deadline.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Answer the close, as a browser does, so that the server need not wait for it.
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    return (null, ((int)result.CloseStatus!, result.CloseStatusDescription ?? ""));
                }

                text.Write(buffer, 0, result.Count);
            }
            while (!result.EndOfMessage);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Nothing arrived within {timeout}.");
        }

        return ((JsonObject)JsonNode.Parse(text.ToArray())!, null);
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
            catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
            {
                // The server is gone already.
            }
        }

        _socket.Dispose();
        _invoker.Dispose();
    }
}
