using System.Net;
using System.Text.Json.Nodes;
using Portal.Gateway.Tests.GraphQL.Subscriptions;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>
/// JSON that parses but holds what a GraphQL request cannot (a lone surrogate escape, a member named twice) is the client's mistake: a 400 naming where it is over HTTP, an error message for
/// that operation over a WebSocket. Never a 500 with an empty body, never a closed socket.
/// </summary>
public sealed class Reading_malformed_requests(PortalApp portal) : IClassFixture<PortalApp>
{
    private const string EntityByRef = "query($ref: String!) { entity(ref: $ref) { ref } }";

    [Theory]
    [InlineData("""{"query":"QUERY","variables":{"ref":"\ud800"}}""", "'variables.ref' is not valid UTF-16 text")]
    [InlineData("""{"query":"QUERY","variables":{"ref":"x","more":[{"deep":["\udc00"]}]}}""", "'variables.more[0].deep[0]' is not valid UTF-16 text")]
    [InlineData("""{"query":"QUERY","variables":{"\ud800":"x"}}""", "a member name in 'variables' is not valid UTF-16 text")]
    [InlineData("""{"query":"QUERY","variables":{"ref":"x"},"extensions":{"trace":"\ud800"}}""", "'extensions.trace' is not valid UTF-16 text")]
    [InlineData("""{"query":"{ entity(ref: \"\ud800\") { ref } }"}""", "'query' is not valid UTF-16 text")]
    [InlineData("""{"query":"QUERY","operationName":"\ud800"}""", "'operationName' is not valid UTF-16 text")]
    [InlineData("""{"query":"QUERY","variables":{"ref":"x","ref":"y"}}""", "'variables' names the member 'ref' twice")]
    public async Task A_body_GraphQL_cannot_read_is_400_naming_where(string body, string message)
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostRawAsync(body.Replace("QUERY", EntityByRef, StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains(message, (string?)response.Error("BAD_REQUEST")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lone_surrogate_in_GET_variables_is_400_naming_the_variable()
    {
        using var client = portal.CreateClient();
        var url = "/graphql?query=" + Uri.EscapeDataString(EntityByRef) + "&variables=" + Uri.EscapeDataString("""{"ref":"\ud800"}""");

        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'variables.ref' is not valid UTF-16 text", (string?)body["errors"]![0]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lone_surrogate_in_one_operation_of_a_WebSocket_is_an_error_for_that_operation_and_the_socket_stays_open()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(portal.BaseAddress);

        await socket.SendAsync("""{"id":"bad","type":"subscribe","payload":{"query":""" + "\"" + EntityByRef + "\"" + ""","variables":{"ref":"\ud800"}}}""");
        var error = await socket.ReceiveAsync();
        await socket.SubscribeAsync("good", "{ __typename }");
        var next = await socket.ReceiveAsync();

        Assert.Equal("error", GraphQLSocket.Type(error));
        Assert.Equal("bad", (string?)error["id"]);
        Assert.Equal("BAD_REQUEST", (string?)error["payload"]![0]!["extensions"]!["code"]);
        Assert.Contains("'variables.ref' is not valid UTF-16 text", (string?)error["payload"]![0]!["message"], StringComparison.Ordinal);
        GraphQLSocket.AssertJson("""{"id":"good","type":"next","payload":{"data":{"__typename":"Query"}}}""", next);
    }

    [Theory]
    [InlineData("""{"type":"\ud800"}""", "Invalid message: 'type' is not valid UTF-16 text")]
    [InlineData("""{"id":"\ud800","type":"subscribe","payload":{"query":"{ __typename }"}}""", "Invalid message: subscribe needs an 'id' string of 1 to 128 characters")]
    public async Task A_lone_surrogate_where_the_protocol_needs_text_closes_with_4400(string message, string reason)
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(portal.BaseAddress);

        await socket.SendAsync(message);
        var (status, description) = await socket.ReceiveCloseAsync();

        Assert.Equal(4400, status);
        Assert.Equal(reason, description);
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_string_of_the_query_text_is_refused_by_validation()
    {
        // Here the JSON is fine: the GraphQL string literal's own \u escape makes the lone surrogate.
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostRawAsync("""{"query":"{ entity(ref: \"\\ud800\") { ref } }"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("not valid UTF-16", (string?)response.Error("INVALID_STRING")["message"], StringComparison.Ordinal);
    }
}
