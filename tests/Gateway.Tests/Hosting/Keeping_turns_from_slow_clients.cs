using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Portal.Gateway.Tests.GraphQL.Subscriptions;
using Portal.Testing;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>
/// A replica's turns (Load:MaxConcurrentRequests) go to work, not to clients: a body sent slowly is received before
/// the request queues, and WebSockets are bounded in
/// number and take a turn for each operation. Each test leaves the replica one turn and no queue, so a held turn shows
/// as a 503 for the next request.
/// </summary>
public sealed class Keeping_turns_from_slow_clients
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private const string PageQuery = """{"query":"{ entities(first: 1) { totalCount } }"}""";

    [Fact]
    public async Task A_body_sent_slowly_holds_no_turn_and_is_answered_408_when_it_is_too_late()
    {
        await using var app = await StartAsync("slowbody", ("Load:RequestBodyTimeout", "00:00:01"));
        using var client = app.CreateClient();

        using var slow = await RawConnectAsync(app);
        await slow.SendAsync(Encoding.ASCII.GetBytes(
            "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{\"query\":"), Cancellation);
        await Task.Delay(300, Cancellation); // the slow request has reached the gateway, and waits for the rest of its body

        using var meanwhile = await client.PostAsync("/graphql", Json(PageQuery), Cancellation);
        var late = await ReadToEndAsync(slow, TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.OK, meanwhile.StatusCode);
        Assert.StartsWith("HTTP/1.1 408", late, StringComparison.Ordinal);
        Assert.Contains("did not arrive within 1 s (Load:RequestBodyTimeout)", late, StringComparison.Ordinal);
        Assert.Contains("\"errors\"", late, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_REST_body_sent_slowly_is_answered_408_in_Backstages_error_shape()
    {
        await using var app = await StartAsync("slowrestbody", ("Load:RequestBodyTimeout", "00:00:00.500"));

        using var slow = await RawConnectAsync(app);
        await slow.SendAsync(Encoding.ASCII.GetBytes(
            "POST /api/catalog/validate-entity HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"), Cancellation);
        var late = await ReadToEndAsync(slow, TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 408", late, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"InputError\"", late, StringComparison.Ordinal);
        Assert.Contains("Load:RequestBodyTimeout", late, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_the_server_cannot_read_is_answered_with_its_status_in_the_surfaces_shape_and_not_logged_as_a_failure()
    {
        var logs = new CapturedLogs();
        await using var app = await StartAsync("badchunks", logs);

        using var malformed = await RawConnectAsync(app);
        await malformed.SendAsync(Encoding.ASCII.GetBytes(
            "POST /api/catalog/validate-entity HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "2\r\n{}\r\nzz\r\n"), Cancellation); // "zz" is no chunk size
        var answer = await ReadToEndAsync(malformed, TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"InputError\"", answer, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, line => line.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task A_chunked_body_larger_than_any_surface_takes_is_refused_413_before_it_queues()
    {
        await using var app = await StartAsync("bigchunks", null, ("BackstageApi:MaxRequestBytes", "2000"), ("Graph:MaxRequestBytes", "1500"));

        using var large = await RawConnectAsync(app);
        var chunk = new string(' ', 1500);
        await large.SendAsync(Encoding.ASCII.GetBytes(
            "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + $"{chunk.Length:x}\r\n{chunk}\r\n"), Cancellation);
        await Task.Delay(200, Cancellation);
        await large.SendAsync(Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n{chunk}\r\n"), Cancellation); // and never the last chunk
        var answer = await ReadToEndAsync(large, TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 413", answer, StringComparison.Ordinal);
        Assert.Contains("larger than 2000 bytes", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replica_holds_at_most_MaxSockets_WebSockets_and_refuses_one_more_503()
    {
        await using var app = await StartAsync("maxsockets", ("Graph:WebSockets:MaxSockets", "1"));

        await using var first = await GraphQLSocket.ConnectAndInitAsync(app.ClientOptions.BaseAddress);
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => GraphQLSocket.ConnectAsync(app.ClientOptions.BaseAddress));

        Assert.Contains("503", refused.Message, StringComparison.Ordinal);
        await first.DisposeAsync();
        await WaitUntilAsync(async () =>
        {
            try
            {
                await using var again = await GraphQLSocket.ConnectAndInitAsync(app.ClientOptions.BaseAddress);
                return true;
            }
            catch (WebSocketException)
            {
                return false; // the first socket's end has not been seen yet
            }
        });
    }

    [Fact]
    public async Task A_query_over_a_WebSocket_waits_for_a_turn_like_one_over_HTTP()
    {
        await using var app = await StartAsync("socketturns");
        using var client = app.CreateClient();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.ClientOptions.BaseAddress);

        // The replica's one turn is taken by an HTTP request held in the database.
        await using var lockHolder = await TableLock.TakeAsync(app.ConnectionString, "catalog.entities");
        var held = client.PostAsync("/graphql", Json(PageQuery), Cancellation);
        await lockHolder.WaitForAWaiterAsync();
        await socket.SubscribeAsync("1", "{ entities(first: 1) { totalCount } }");
        var answer = await socket.ReceiveAsync();

        Assert.Equal("error", GraphQLSocket.Type(answer));
        Assert.Equal("SERVICE_UNAVAILABLE", (string?)answer["payload"]![0]!["extensions"]!["code"]);
        await lockHolder.DisposeAsync();
        using var served = await held;
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private static Task<PortalAppFactory> StartAsync(string name, params (string Key, string Value)[] more) => StartAsync(name, null, more);

    private static async Task<PortalAppFactory> StartAsync(string name, CapturedLogs? logs, params (string Key, string Value)[] more)
    {
        var server = await PostgresServer.GetAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Load:MaxConcurrentRequests"] = "1",
            ["Load:QueueLimit"] = "0",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        var app = new PortalAppFactory(await server.CreateDatabaseAsync(name), settings, services: services =>
        {
            if (logs is not null)
            {
                services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs);
            }
        });
        app.UseKestrel(0);
        app.StartServer();
        return app;
    }

    private static async Task<Socket> RawConnectAsync(PortalAppFactory app, int? receiveBufferBytes = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes is { } bytes)
        {
            socket.ReceiveBufferSize = bytes;
        }

        await socket.ConnectAsync(IPAddress.Loopback, app.ClientOptions.BaseAddress.Port, Cancellation);
        return socket;
    }

    /// <summary>What the server sends until it closes the connection or stops sending for a while.</summary>
    private static async Task<string> ReadToEndAsync(Socket socket, TimeSpan timeout)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        limit.CancelAfter(timeout);
        var text = new StringBuilder();
        var buffer = new byte[8192];
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer, limit.Token);
                if (read == 0)
                {
                    break;
                }

                text.Append(Encoding.UTF8.GetString(buffer, 0, read));
                var sofar = text.ToString();
                if (sofar.Contains("\r\n\r\n", StringComparison.Ordinal) && (sofar.EndsWith('}') || sofar.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal)))
                {
                    break; // a whole JSON answer has come, with a length or chunked (the server may keep the connection open)
                }
            }
        }
        catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
        {
        }

        return text.ToString();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50, Cancellation);
        }

        Assert.Fail("the condition never held within 10 s");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
