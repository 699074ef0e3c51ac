using System.Net;
using Portal.Gateway.Tests.GraphQL.Subscriptions;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>
/// No input can overflow the stack (which ends the process, and every request on it): deeply nested query text,
/// chains of fragment spreads and nested JSON are each answered with a clear error, and the next request is served.
/// </summary>
public sealed class Nesting_deeply(PortalApp portal) : IClassFixture<PortalApp>
{
    [Theory]
    [InlineData("{ SELECTIONS }")]
    [InlineData("{ entity(ref: LISTS) { ref } }")]
    [InlineData("{ entities(filter: [OBJECTS]) { totalCount } }")]
    public async Task Query_text_nested_past_the_syntax_limit_is_a_clear_error_and_the_next_request_answers(string template)
    {
        using var graph = new GraphClient(portal.CreateClient());
        var query = template
            .Replace("SELECTIONS", string.Concat(Enumerable.Repeat("a { ", 5_000)) + "b" + string.Concat(Enumerable.Repeat(" }", 5_000)), StringComparison.Ordinal)
            .Replace("LISTS", new string('[', 20_000) + "1" + new string(']', 20_000), StringComparison.Ordinal)
            .Replace("OBJECTS", string.Concat(Enumerable.Repeat("{ not: ", 5_000)) + "{}" + new string('}', 5_000), StringComparison.Ordinal);

        var refused = await graph.PostAsync(query);
        var next = await graph.PostAsync("{ version }");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("nests deeper than 128 levels", (string?)refused.Error("DOCUMENT_TOO_DEEP")["message"], StringComparison.Ordinal);
        Assert.Contains("(Graph:MaxSyntaxDepth)", (string?)refused.Errors[0]!["message"], StringComparison.Ordinal);
        Assert.NotNull(next.Ok()["version"]);
    }

    [Fact]
    public async Task A_chain_of_fragment_spreads_past_the_depth_limit_is_a_clear_error()
    {
        using var graph = new GraphClient(portal.CreateClient());

        var refused = await graph.PostAsync(Bounding_validation.Chain(100));
        var next = await graph.PostAsync("{ version }");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        refused.Error("FRAGMENT_TOO_DEEP");
        Assert.NotNull(next.Ok()["version"]);
    }

    [Fact]
    public async Task JSON_variables_nested_past_the_depth_limit_are_400_naming_the_depth()
    {
        using var graph = new GraphClient(portal.CreateClient());
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", 1_000)) + "1" + new string('}', 1_000);

        var refused = await graph.PostRawAsync($$$"""{"query":"query($e: JSON!) { validateEntities(content: \"x\") { valid } }","variables":{"e":{{{nested}}}}}""");
        var next = await graph.PostAsync("{ version }");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("depth of 64", (string?)refused.Error("BAD_REQUEST")["message"], StringComparison.Ordinal);
        Assert.NotNull(next.Ok()["version"]);
    }

    [Fact]
    public async Task JSON_nested_past_the_depth_limit_over_a_WebSocket_closes_that_socket_only()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(portal.BaseAddress);
        var nested = string.Concat(Enumerable.Repeat("{\"a\":", 1_000)) + "1" + new string('}', 1_000);

        await socket.SendAsync("""{"id":"deep","type":"subscribe","payload":{"query":"{ version }","variables":{"e":""" + nested + "}}}");
        var (status, _) = await socket.ReceiveCloseAsync();
        await using var other = await GraphQLSocket.ConnectAndInitAsync(portal.BaseAddress);
        await other.SubscribeAsync("next", "{ __typename }");

        Assert.Equal(4400, status);
        Assert.Equal("next", GraphQLSocket.Type(await other.ReceiveAsync()));
    }

    [Fact]
    public async Task A_JSON_variable_keeps_its_numbers_however_large()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Entity = """
            {"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"large-numbers"},
             "spec":{"type":"service","lifecycle":"production","owner":"team-x","replicas":123456789012345678901234567890,"ratio":0.25}}
            """;

        (await graph.PostRawAsync($$$"""{"query":"mutation($e: JSON!) { upsertEntity(entity: $e) { ref } }","variables":{"e":{{{Entity}}}}}""")).Ok();
        var spec = (await graph.PostAsync("""{ entity(ref: "component:large-numbers") { spec } }""")).Ok()["entity"]!["spec"]!;

        Assert.Equal("123456789012345678901234567890", spec["replicas"]!.ToJsonString());
        Assert.Equal("0.25", spec["ratio"]!.ToJsonString());
    }
}
