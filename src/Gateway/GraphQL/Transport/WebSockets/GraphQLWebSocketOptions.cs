using System.ComponentModel.DataAnnotations;

namespace Portal.Gateway.GraphQL.Transport.WebSockets;

/// <summary>Settings of GraphQL over WebSocket, bound from <c>Graph:WebSockets</c>.</summary>
public sealed class GraphQLWebSocketOptions
{
    public const string Section = "Graph:WebSockets";

    /// <summary>How long a new socket may take to send <c>connection_init</c> before it is closed with 4408.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan ConnectionInitTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Interval of WebSocket ping frames, which keep proxies from closing an idle socket and find dead clients (no pong
    /// within the same interval: the socket is aborted). Zero turns them off.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest message a client may send; a larger one closes the socket with 4400.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Most sockets one replica keeps open at once; one more handshake is answered 503 with <c>Retry-After</c> (a
    /// load balancer sends it to another replica). Each socket costs memory for its buffers and its pending results.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxSockets { get; set; } = 10_000;

    /// <summary>Most operations (subscriptions, queries, mutations) running at once on one socket.</summary>
    [Range(1, 10_000)]
    public int MaxOperations { get; set; } = 100;

    /// <summary>
    /// Most bytes of results one socket may have waiting for a client that does not keep up. A result that would go
    /// beyond it ends its operation with an error instead (the socket stays open), so a client that stops reading is
    /// dropped rather than buffered for.
    /// </summary>
    [Range(64 * 1024, 1024 * 1024 * 1024)]
    public int MaxPendingBytes { get; set; } = 8 * 1024 * 1024;
}
