using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using Portal.Testing;

namespace Portal.Gateway.Tests.GraphQL.Subscriptions;

/// <summary>The gateway with small WebSocket limits, so that the limits are quick to reach.</summary>
public sealed class SmallLimitsApp : PortalApp
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Graph:WebSockets:ConnectionInitTimeout"] = "00:00:00.300",
        ["Graph:WebSockets:MaxMessageBytes"] = "4096",
        ["Graph:WebSockets:MaxOperations"] = "2",
    };
}

public sealed class Speaking_graphql_transport_ws(SmallLimitsApp app) : IClassFixture<SmallLimitsApp>
{
    private const string EntityChanged = "subscription { entityChanged { change ref } }";

    [Fact]
    public async Task Connection_init_is_acknowledged_and_a_ping_answered_with_a_pong()
    {
        await using var socket = await GraphQLSocket.ConnectAsync(app.BaseAddress);

        await socket.SendAsync("""{"type":"connection_init","payload":{}}""");
        var ack = await socket.ReceiveAsync();
        await socket.SendAsync("""{"type":"ping","payload":{"at":1}}""");
        var pong = await socket.ReceiveAsync();

        Assert.Equal(GraphQLSocket.Subprotocol, socket.Socket.SubProtocol);
        GraphQLSocket.AssertJson("""{"type":"connection_ack"}""", ack);
        GraphQLSocket.AssertJson("""{"type":"pong"}""", pong);
    }

    [Fact]
    public async Task A_query_answers_one_next_then_complete()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.SubscribeAsync("q1", "query Version { __typename }");
        var next = await socket.ReceiveAsync();
        var complete = await socket.ReceiveAsync();

        GraphQLSocket.AssertJson("""{"id":"q1","type":"next","payload":{"data":{"__typename":"Query"}}}""", next);
        GraphQLSocket.AssertJson("""{"id":"q1","type":"complete"}""", complete);
    }

    [Fact]
    public async Task A_socket_that_never_sends_connection_init_is_closed_with_4408()
    {
        await using var socket = await GraphQLSocket.ConnectAsync(app.BaseAddress);

        var (status, reason) = await socket.ReceiveCloseAsync(TimeSpan.FromSeconds(3));

        Assert.Equal(4408, status);
        Assert.Equal("Connection initialisation timeout", reason);
    }

    [Fact]
    public async Task A_ping_before_connection_init_is_answered_but_does_not_stop_the_init_timeout()
    {
        await using var socket = await GraphQLSocket.ConnectAsync(app.BaseAddress);

        await socket.SendAsync("""{"type":"ping"}""");
        var pong = await socket.ReceiveAsync();
        var (status, _) = await socket.ReceiveCloseAsync(TimeSpan.FromSeconds(3));

        Assert.Equal("pong", GraphQLSocket.Type(pong));
        Assert.Equal(4408, status);
    }

    [Fact]
    public async Task A_second_connection_init_closes_with_4429()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.SendAsync("""{"type":"connection_init"}""");
        var (status, reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(4429, status);
        Assert.Equal("Too many initialisation requests", reason);
    }

    [Fact]
    public async Task A_subscribe_before_the_ack_closes_with_4401()
    {
        await using var socket = await GraphQLSocket.ConnectAsync(app.BaseAddress);

        await socket.SubscribeAsync("s1", EntityChanged);
        var (status, reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(4401, status);
        Assert.Equal("Unauthorized", reason);
    }

    [Fact]
    public async Task A_second_subscribe_with_an_active_id_closes_with_4409()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.SubscribeAsync("same", EntityChanged);
        await socket.SubscribeAsync("same", EntityChanged);
        var (status, reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(4409, status);
        Assert.Equal("Subscriber for same already exists", reason);
    }

    [Theory]
    [InlineData("{\"type\":\"subscribe\"", "Invalid message: not JSON")]
    [InlineData("[\"subscribe\"]", "Invalid message: a JSON object with a string 'type' is required")]
    [InlineData("{\"kind\":\"subscribe\"}", "Invalid message: a JSON object with a string 'type' is required")]
    [InlineData("{\"type\":\"start\",\"id\":\"1\"}", "Invalid message: unknown type 'start'")]
    [InlineData("{\"type\":\"connection_ack\"}", "Invalid message: unknown type 'connection_ack'")]
    [InlineData("{\"type\":\"subscribe\",\"payload\":{\"query\":\"{ __typename }\"}}", "Invalid message: subscribe needs an 'id' string of 1 to 128 characters")]
    [InlineData("{\"type\":\"subscribe\",\"id\":7,\"payload\":{\"query\":\"{ __typename }\"}}", "Invalid message: subscribe needs an 'id' string of 1 to 128 characters")]
    [InlineData("{\"type\":\"subscribe\",\"id\":\"1\"}", "Invalid message: subscribe needs a 'payload' object")]
    [InlineData("{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{\"variables\":{}}}", "Invalid message: in the subscribe payload, a non-empty 'query' string is required")]
    [InlineData("{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{\"query\":\"{ __typename }\",\"variables\":[1]}}", "Invalid message: in the subscribe payload, 'variables' must be an object")]
    [InlineData("{\"type\":\"complete\"}", "Invalid message: complete needs an 'id' string of 1 to 128 characters")]
    [InlineData("{\"type\":\"ping\",\"payload\":\"hello\"}", "Invalid message: the ping payload must be an object")]
    public async Task A_malformed_message_closes_with_4400_saying_what_is_wrong(string message, string expectedReason)
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.SendAsync(message);
        var (status, reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(4400, status);
        Assert.Equal(expectedReason, reason);
    }

    [Fact]
    public async Task A_binary_message_closes_with_4400()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.Socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"ping"}"""), WebSocketMessageType.Binary, true, CancellationToken.None);
        var (status, reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(4400, status);
        Assert.Equal("Invalid message: binary frames are not used; send JSON text", reason);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_closes_with_4400_naming_the_limit()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        var padding = new string(' ', 5000);

        await socket.SendAsync($$$"""{"id":"big","type":"subscribe","payload":{"query":"{ __typename {{{padding}}} }"}}""");
        var (status, reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(4400, status);
        Assert.Equal("Message too big: the limit is 4096 bytes", reason);
    }

    [Fact]
    public async Task An_unknown_operation_name_is_an_error_message_and_frees_the_id()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.SubscribeAsync("op", "query A { __typename }", operationName: "B");
        var error = await socket.ReceiveAsync();
        await socket.SubscribeAsync("op", "query A { __typename }", operationName: "A");
        var next = await socket.ReceiveAsync();

        Assert.Equal("error", GraphQLSocket.Type(error));
        Assert.Equal("op", (string?)error["id"]);
        Assert.Contains("B", (string?)error["payload"]![0]!["message"], StringComparison.Ordinal);
        Assert.Equal("next", GraphQLSocket.Type(next));
        Assert.Equal("complete", GraphQLSocket.Type(await socket.ReceiveAsync()));
    }

    [Fact]
    public async Task Variables_of_the_wrong_type_are_an_error_message_naming_the_variable()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.SubscribeAsync("v",
            "subscription Watch($filter: [EntityFilterInput!]) { entityChanged(filter: $filter) { ref } }",
            variables: new { filter = new[] { new { kind = 42 } } });
        var error = await socket.ReceiveAsync();
        await socket.SendAsync("""{"type":"ping"}""");
        var pong = await socket.ReceiveAsync();

        Assert.Equal("error", GraphQLSocket.Type(error));
        Assert.Equal("v", (string?)error["id"]);
        Assert.Contains("$filter", (string?)error["payload"]![0]!["message"], StringComparison.Ordinal);
        Assert.Equal("pong", GraphQLSocket.Type(pong)); // no complete follows an error, and the socket stays open
    }

    [Fact]
    public async Task A_subscription_with_an_invalid_filter_is_an_error_message()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.SubscribeAsync("f", """subscription { entityChanged(filter: [{ kind: [] }]) { ref } }""");
        var error = await socket.ReceiveAsync();

        Assert.Equal("error", GraphQLSocket.Type(error));
        Assert.Equal("Invalid filter: filter.kind is an empty list: leave it out to match any value", (string?)error["payload"]![0]!["message"]);
        Assert.Equal("INVALID_FILTER", (string?)error["payload"]![0]!["extensions"]!["code"]);
    }

    [Fact]
    public async Task An_operation_beyond_the_per_socket_limit_is_refused_and_the_socket_stays_open()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);

        await socket.SubscribeAsync("a", EntityChanged);
        await socket.SubscribeAsync("b", EntityChanged);
        await socket.SubscribeAsync("c", EntityChanged);
        var refused = await socket.ReceiveAsync();
        await socket.SendAsync("""{"type":"complete","id":"a"}""");
        await socket.SubscribeAsync("c", "{ __typename }");
        var next = await socket.ReceiveAsync();

        Assert.Equal("error", GraphQLSocket.Type(refused));
        Assert.Equal("c", (string?)refused["id"]);
        Assert.Equal("TOO_MANY_OPERATIONS", (string?)refused["payload"]![0]!["extensions"]!["code"]);
        Assert.Equal("next", GraphQLSocket.Type(next));
    }

    [Theory]
    [InlineData("graphql-ws")]
    [InlineData(null)]
    public async Task A_handshake_without_the_graphql_transport_ws_subprotocol_is_closed_with_4406(string? subprotocol)
    {
        await using var socket = await GraphQLSocket.ConnectAsync(app.BaseAddress, subprotocol is null ? [] : [subprotocol]);

        var (status, reason) = await socket.ReceiveCloseAsync();

        Assert.Equal(4406, status);
        Assert.Equal("Subprotocol not acceptable: use graphql-transport-ws", reason);
    }

    [Fact]
    public async Task A_subscription_over_HTTP_is_a_400_pointing_at_the_WebSocket()
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent($$"""{"query":"{{EntityChanged}}"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/graphql-response+json"));

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("A subscription needs a WebSocket: connect to /graphql with the graphql-transport-ws subprotocol.", body, StringComparison.Ordinal);
    }
}

public sealed class Stopping_the_gateway : TestDatabase
{
    [Fact]
    public async Task Closes_open_sockets_with_1001_so_that_clients_reconnect_elsewhere()
    {
        var gateway = new PortalAppFactory(ConnectionString);
        gateway.UseKestrel(0);
        gateway.StartServer();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(gateway.ClientOptions.BaseAddress);
        await socket.SubscribeAsync("s", "subscription { entityChanged { ref } }");

        var stopping = gateway.DisposeAsync().AsTask();
        var (status, reason) = await socket.ReceiveCloseAsync();
        await stopping;

        Assert.Equal(1001, status);
        Assert.Equal("The server is stopping; connect again", reason);
    }
}
