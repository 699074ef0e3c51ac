using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using GraphQL;
using GraphQL.Transport;
using GraphQLParser.AST;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.Hosting.Load;

namespace Portal.Gateway.GraphQL.Transport.WebSockets;

/// <summary>
/// One socket speaking graphql-transport-ws: the client's <c>connection_init</c> (within the init timeout, once),
/// then any number of operations, each named by the client's id. Subscriptions stream <c>next</c> messages until
/// they end (<c>complete</c>), fail (<c>error</c>) or the client completes them; queries and mutations answer one
/// <c>next</c> and <c>complete</c>. A protocol violation closes the socket with the protocol's close code.
/// </summary>
/// <remarks>
/// One loop reads the socket and handles each message in order without waiting for operations; operations run on
/// their own. Everything sent goes through one queue and one sending loop (a WebSocket allows one send at a time).
/// The queue is bounded in bytes (<c>MaxPendingBytes</c>): a result that would go beyond it ends its operation with an
/// error instead of buffering more for a client that does not read.
/// </remarks>
internal sealed class GraphQLWebSocketConnection(
    WebSocket socket,
    HttpContext http,
    GraphQLExecution execution,
    IGraphQLTextSerializer serializer,
    GraphQLWebSocketOptions options,
    RequestQueue queue,
    ILogger<GraphQLWebSocketConnection> logger)
{
    private const int MaxIdLength = 128;

    // Replies to the client's own messages (pongs, acks, completes) queued beyond this mean a client that writes
    // without ever reading; it is cut off.
    private const int MaxQueuedReplies = 1000;

    // How long the client has to answer our close frame before the socket is aborted.
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, Operation> _operations = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _lifetime = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
    private readonly Lock _closeGate = new();
    private volatile CloseRequest? _close;
    private int _queuedReplies;
    private long _pendingBytes;
    private volatile bool _initReceived;
    private volatile bool _acknowledged;

    public async Task RunAsync()
    {
        var sending = SendLoopAsync();
        var watchingInit = WatchInitAsync();
        try
        {
            await ReceiveLoopAsync();
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
        {
            logger.LogDebug(exception, "GraphQL WebSocket ended without a close handshake");
        }
        catch (Exception exception)
        {
            // A fault of ours: the client gets the protocol's close code, the log gets the details.
            logger.LogError(exception, "GraphQL WebSocket failed");
            RequestClose(TransportWs.InternalServerError, "Internal server error");
        }
        finally
        {
            foreach (var operation in _operations.Values)
            {
                operation.Stop();
            }

            _operations.Clear();
            _outgoing.Writer.TryComplete();
            try
            {
                await sending.WaitAsync(CloseHandshakeTimeout);
            }
            catch (TimeoutException)
            {
                logger.LogDebug("GraphQL WebSocket: the close frame could not be sent in time");
            }

            await _lifetime.CancelAsync();
            await watchingInit;
        }
    }

    /// <summary>Closes the socket because the gateway is stopping.</summary>
    public void CloseForShutdown() => RequestClose((int)WebSocketCloseStatus.EndpointUnavailable, "The server is stopping; connect again");

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        var message = new ArrayBufferWriter<byte>(buffer.Length);
        while (true)
        {
            message.ResetWrittenCount();
            var tooBig = false;
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(), _lifetime.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    // The client closes (1000 when done): answer, unless we started the close.
                    RequestClose((int)WebSocketCloseStatus.NormalClosure, "");
                    return;
                }

                if (!tooBig && message.WrittenCount + received.Count > options.MaxMessageBytes)
                {
                    // Closed at once, without waiting for the end of a message that may never end; the rest is discarded.
                    tooBig = true;
                    RequestClose(TransportWs.BadRequest, $"Message too big: the limit is {options.MaxMessageBytes} bytes");
                }
                else if (!tooBig)
                {
                    message.Write(buffer.AsSpan(0, received.Count));
                }
            }
            while (!received.EndOfMessage);

            if (IsClosing)
            {
                continue; // waiting for the client's close frame: nothing else counts any more
            }

            if (received.MessageType == WebSocketMessageType.Binary)
            {
                RequestClose(TransportWs.BadRequest, "Invalid message: binary frames are not used; send JSON text");
            }
            else
            {
                Handle(message.WrittenMemory);
            }
        }
    }

    private void Handle(ReadOnlyMemory<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            RequestClose(TransportWs.BadRequest, "Invalid message: not JSON");
            return;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
            {
                RequestClose(TransportWs.BadRequest, "Invalid message: a JSON object with a string 'type' is required");
                return;
            }

            if (!GraphQLRequestReader.TryGetString(type, out var typeName))
            {
                RequestClose(TransportWs.BadRequest, "Invalid message: 'type' is not valid UTF-16 text");
                return;
            }

            switch (typeName)
            {
                case "connection_init":
                    OnConnectionInit(root);
                    break;
                case "ping":
                    if (RequirePayloadObject(root, "ping"))
                    {
                        Reply("""{"type":"pong"}""");
                    }

                    break;
                case "pong":
                    RequirePayloadObject(root, "pong");
                    break;
                case "subscribe":
                    OnSubscribe(root);
                    break;
                case "complete":
                    OnComplete(root);
                    break;
                default:
                    RequestClose(TransportWs.BadRequest, $"Invalid message: unknown type '{Shorten(typeName!)}'");
                    break;
            }
        }
    }

    private void OnConnectionInit(JsonElement message)
    {
        if (!RequirePayloadObject(message, "connection_init"))
        {
            return;
        }

        if (_initReceived)
        {
            RequestClose(TransportWs.TooManyInitialisationRequests, "Too many initialisation requests");
            return;
        }

        _initReceived = true;
        Reply("""{"type":"connection_ack"}""");
        _acknowledged = true;
    }

    private void OnSubscribe(JsonElement message)
    {
        if (!_acknowledged)
        {
            RequestClose(TransportWs.Unauthorized, "Unauthorized");
            return;
        }

        if (ReadId(message, "subscribe") is not { } id)
        {
            return;
        }

        if (!message.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
        {
            RequestClose(TransportWs.BadRequest, "Invalid message: subscribe needs a 'payload' object");
            return;
        }

        var request = GraphQLRequestReader.Read(payload, serializer, out var problem);
        if (problem is { Malformed: true })
        {
            RequestClose(TransportWs.BadRequest, $"Invalid message: in the subscribe payload, {problem.Message}");
            return;
        }

        if (_operations.ContainsKey(id))
        {
            RequestClose(TransportWs.SubscriberAlreadyExists, $"Subscriber for {Shorten(id)} already exists");
            return;
        }

        if (request is null)
        {
            // A well-formed subscribe holding a value the server cannot take (a string that is not UTF-16): the
            // protocol's error message for this operation, as for a validation error; the socket stays open.
            SendError(id, [new ExecutionError($"Invalid request: {problem!.Message}.") { Code = "BAD_REQUEST" }]);
            return;
        }

        if (_operations.Count >= options.MaxOperations)
        {
            // The socket stays usable: this one operation is refused, the client may complete another and retry.
            SendError(id, [new ExecutionError(
                $"Too many operations on this socket: at most {options.MaxOperations} may run at once (Graph:WebSockets:MaxOperations).")
            {
                Code = "TOO_MANY_OPERATIONS",
            }]);
            return;
        }

        var operation = new Operation(id, _lifetime.Token);
        _operations[id] = operation;
        _ = RunOperationAsync(operation, request);
    }

    private void OnComplete(JsonElement message)
    {
        // Completing an operation that already ended, or never existed, is allowed and ignored.
        if (ReadId(message, "complete") is { } id && _operations.TryRemove(id, out var operation))
        {
            operation.Stop();
        }
    }

    private async Task RunOperationAsync(Operation operation, GraphQLRequest request)
    {
        try
        {
            // An operation waits for its turn like a request over HTTP, for as long as it executes (a subscription: while
            // it starts; its events are resolved in turns of their own, operation.EventTurn).
            ExecutionResult result;
            using (var turn = await queue.WaitForTurnAsync(operation.Cancellation))
            {
                if (turn is null)
                {
                    Finish(operation);
                    SendError(operation.Id, [new ExecutionError(RequestQueue.BusyMessage) { Code = GraphQLErrorCodes.ServiceUnavailable }]);
                    return;
                }

                result = await execution.ExecuteAsync(request, GraphQLTransport.WebSocket, http, operation.Cancellation, operation.EventTurn);
            }

            if (operation.IsStopped)
            {
                return; // the client completed it first: nothing more is sent for it
            }

            if (result.Streams is { Count: > 0 } streams)
            {
                // Validation allows a subscription one root field, so there is one stream.
                operation.Attach(streams.Values.First().Subscribe(new OperationObserver(this, operation)));
                return;
            }

            Finish(operation);
            if (!result.Executed || result.Operation?.Operation == OperationType.Subscription)
            {
                // Nothing ran (a syntax, validation or variable error), or a subscription could not start.
                SendError(operation.Id, result.Errors ?? [new ExecutionError("The operation could not be executed.")]);
                return;
            }

            if (TryQueueResult(operation, result))
            {
                SendComplete(operation.Id);
            }
            else
            {
                SendTooSlow(operation.Id);
            }
        }
        catch (OperationCanceledException) when (operation.IsStopped || _lifetime.IsCancellationRequested)
        {
            Finish(operation);
        }
#pragma warning disable CA1031 // An operation's failure must end that operation with an error, not the socket.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            logger.LogError(exception, "GraphQL WebSocket operation {OperationId} failed", operation.Id);
            Finish(operation);
            SendError(operation.Id, [new ExecutionError("The operation failed on the server.") { Code = "INTERNAL_SERVER_ERROR" }]);
        }
    }

    /// <summary>Forgets the operation, freeing its id; only this instance, since the client may reuse the id.</summary>
    private void Finish(Operation operation)
    {
        _operations.TryRemove(new KeyValuePair<string, Operation>(operation.Id, operation));
        operation.Stop();
    }

    /// <summary>
    /// Queues a result unless the results already waiting and this one would go beyond <c>MaxPendingBytes</c>; a
    /// result on its own always fits, so an idle client gets even a large one.
    /// </summary>
    private bool TryQueueResult(Operation operation, ExecutionResult result)
    {
        var bytes = Encoding.UTF8.GetBytes(serializer.Serialize(new OperationMessage { Id = operation.Id, Type = "next", Payload = result }));
        var waiting = Interlocked.Add(ref _pendingBytes, bytes.Length) - bytes.Length;
        if (waiting > 0 && waiting + bytes.Length > options.MaxPendingBytes)
        {
            Interlocked.Add(ref _pendingBytes, -bytes.Length);
            return false;
        }

        _outgoing.Writer.TryWrite(new Outgoing(bytes, IsResult: true));
        return true;
    }

    /// <summary>A subscription event's errors, bounded as every result's are (<see cref="GraphQLExecution.Bound"/>).</summary>
    private ExecutionResult Bound(ExecutionResult result) => execution.Bound(result);

    // One wording for a query or a subscription whose results the client does not read fast enough.
    private void SendTooSlow(string id) => SendError(id, [new ExecutionError(
        $"Subscriber too slow: more than {options.MaxPendingBytes} bytes of results were waiting to be sent, so the operation was dropped. "
        + "Read faster, or subscribe again and re-read what you show.")
    {
        Code = GraphQLErrorCodes.SubscriberTooSlow,
    }]);

    private void SendError(string id, IEnumerable<ExecutionError> errors) =>
        Reply(serializer.Serialize(new OperationMessage { Id = id, Type = "error", Payload = errors.ToList() }));

    private void SendComplete(string id) =>
        Reply(serializer.Serialize(new OperationMessage { Id = id, Type = "complete" }));

    /// <summary>Queues a message that is not a subscription event; those are bounded by the client's own sending.</summary>
    private void Reply(string json)
    {
        if (Interlocked.Increment(ref _queuedReplies) > MaxQueuedReplies)
        {
            logger.LogWarning("GraphQL WebSocket aborted: {Count} replies are waiting for a client that does not read", MaxQueuedReplies);
            socket.Abort();
            _lifetime.Cancel();
            return;
        }

        _outgoing.Writer.TryWrite(new Outgoing(Encoding.UTF8.GetBytes(json), IsReply: true));
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync(_lifetime.Token))
            {
                while (_close is null && _outgoing.Reader.TryRead(out var message))
                {
                    await socket.SendAsync(message.Bytes, WebSocketMessageType.Text, endOfMessage: true, _lifetime.Token);
                    if (message.IsReply)
                    {
                        Interlocked.Decrement(ref _queuedReplies);
                    }

                    if (message.IsResult)
                    {
                        Interlocked.Add(ref _pendingBytes, -message.Bytes.Length);
                    }
                }

                if (_close is { } close)
                {
                    await SendCloseAsync(close.Code, close.Reason);
                    return;
                }
            }

            if (_close is { } last)
            {
                await SendCloseAsync(last.Code, last.Reason);
            }
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            logger.LogDebug(exception, "GraphQL WebSocket stopped sending");
        }
    }

    private async Task SendCloseAsync(int code, string reason)
    {
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync((WebSocketCloseStatus)code, reason, _lifetime.Token);
        }
    }

    private bool IsClosing
    {
        get
        {
            return _close is not null;
        }
    }

    /// <summary>
    /// Closes the socket with a code and a reason, ahead of anything still queued, and gives the client a few seconds
    /// to answer before the socket is aborted. The first close wins.
    /// </summary>
    private void RequestClose(int code, string reason)
    {
        lock (_closeGate)
        {
            if (_close is not null)
            {
                return;
            }

            // The reason travels in a control frame of at most 125 bytes, two of which hold the code.
            _close = new CloseRequest(code, TruncateUtf8(reason, 123));
        }

        if (code != (int)WebSocketCloseStatus.NormalClosure)
        {
            logger.LogDebug("Closing a GraphQL WebSocket: {Code} {Reason}", code, reason);
        }

        // Wakes the sending loop, which sends the close frame before anything else.
        _outgoing.Writer.TryWrite(new Outgoing([]));
        _lifetime.CancelAfter(CloseHandshakeTimeout);
    }

    private async Task WatchInitAsync()
    {
        try
        {
            await Task.Delay(options.ConnectionInitTimeout, _lifetime.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!_initReceived)
        {
            RequestClose(TransportWs.ConnectionInitialisationTimeout, "Connection initialisation timeout");
        }
    }

    private string? ReadId(JsonElement message, string type)
    {
        // An id that is not UTF-16 text could not be sent back in a reply: it is as malformed as a missing one.
        if (!message.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
            || !GraphQLRequestReader.TryGetString(id, out var text) || text is not { Length: > 0 and <= MaxIdLength } value)
        {
            RequestClose(TransportWs.BadRequest, $"Invalid message: {type} needs an 'id' string of 1 to {MaxIdLength} characters");
            return null;
        }

        return value;
    }

    private bool RequirePayloadObject(JsonElement message, string type)
    {
        if (message.TryGetProperty("payload", out var payload) && payload.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            RequestClose(TransportWs.BadRequest, $"Invalid message: the {type} payload must be an object");
            return false;
        }

        return true;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private static string TruncateUtf8(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        var length = Math.Min(text.Length, maxBytes);
        while (Encoding.UTF8.GetByteCount(text.AsSpan(0, length)) > maxBytes)
        {
            length--;
        }

        return text[..length];
    }

    private sealed record Outgoing(byte[] Bytes, bool IsReply = false, bool IsResult = false);

    private sealed record CloseRequest(int Code, string Reason);

    /// <summary>One running operation: its cancellation and its stream subscription.</summary>
    private sealed class Operation
    {
        // Not disposed: the execution may still hold the token when the operation stops.
        private readonly CancellationTokenSource _cancellation;
        private readonly Lock _gate = new();
        private IDisposable? _stream;
        private bool _stopped;

        public Operation(string id, CancellationToken connection)
        {
            Id = id;
            _cancellation = CancellationTokenSource.CreateLinkedTokenSource(connection);
            Cancellation = _cancellation.Token;
        }

        public string Id { get; }

        public CancellationToken Cancellation { get; }

        /// <summary>A subscription's events run one at a time: taken before each, given back when its result is queued.</summary>
        public SemaphoreSlim EventTurn { get; } = new(1, 1);

        public bool IsStopped
        {
            get
            {
                lock (_gate)
                {
                    return _stopped;
                }
            }
        }

        public void Attach(IDisposable stream)
        {
            lock (_gate)
            {
                if (!_stopped)
                {
                    _stream = stream;
                    return;
                }
            }

            stream.Dispose();
        }

        /// <summary>Cancels the execution and unsubscribes the stream; nothing more is sent for the operation.</summary>
        public void Stop()
        {
            IDisposable? stream;
            lock (_gate)
            {
                if (_stopped)
                {
                    return;
                }

                _stopped = true;
                stream = _stream;
                _stream = null;
            }

            stream?.Dispose();
            _cancellation.Cancel();
        }
    }

    /// <summary>Receives a subscription's results from GraphQL.NET and queues them, within the socket's limit.</summary>
    private sealed class OperationObserver(GraphQLWebSocketConnection connection, Operation operation) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value)
        {
            if (operation.IsStopped)
            {
                return;
            }

            if (!connection.TryQueueResult(operation, connection.Bound(value)))
            {
                connection.Finish(operation);
                connection.SendTooSlow(operation.Id);
                return;
            }

            operation.EventTurn.Release(); // the result waits for the socket now: the next event may run
        }

        public void OnError(Exception error)
        {
            if (operation.IsStopped)
            {
                return;
            }

            connection.Finish(operation);
            connection.SendError(operation.Id, [error as ExecutionError ?? new ExecutionError("The subscription's stream failed.")]);
        }

        public void OnCompleted()
        {
            if (operation.IsStopped)
            {
                return;
            }

            connection.Finish(operation);
            connection.SendComplete(operation.Id);
        }
    }
}
