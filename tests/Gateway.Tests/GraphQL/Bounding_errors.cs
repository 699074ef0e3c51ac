using System.Net;
using Portal.Gateway.Tests.GraphQL.Subscriptions;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>
/// A response lists at most <c>Graph:MaxErrors</c> errors (20) and one more saying how many were left out, on every
/// transport: a small request full of mistakes gets a small answer, and validation stops counting them.
/// </summary>
public sealed class Bounding_errors(PortalApp portal) : IClassFixture<PortalApp>
{
    private static readonly string HundredUnknownFields = "{ " + string.Join(" ", Enumerable.Range(0, 100).Select(i => $"noSuchField{i}")) + " }";

    [Fact]
    public async Task Validation_stops_after_20_errors_and_says_so()
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync(HundredUnknownFields);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(21, response.Errors.Count);
        Assert.Contains("noSuchField19", (string?)response.Errors[19]!["message"], StringComparison.Ordinal);
        Assert.Equal("TOO_MANY_ERRORS", (string?)response.Errors[20]!["extensions"]!["code"]);
        Assert.Contains("Validation stopped after 20 errors", (string?)response.Errors[20]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_that_cannot_merge_answer_20_errors_however_many_pairs_conflict()
    {
        // 60 fields named alike with different arguments: 1,770 conflicting pairs, found in one step of validation.
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync("{ " + string.Join(" ", Enumerable.Range(0, 60).Select(i => $"entity(ref: \"{i}\") {{ ref }}")) + " }");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(21, response.Errors.Count);
        Assert.Equal("OVERLAPPING_FIELDS_CAN_BE_MERGED", (string?)response.Errors[0]!["extensions"]!["code"]);
        Assert.Equal(1, response.Errors[0]!["locations"]![0]!["line"]!.GetValue<int>());
        Assert.Equal(3, response.Errors[0]!["locations"]![0]!["column"]!.GetValue<int>());
        Assert.Equal("TOO_MANY_ERRORS", (string?)response.Errors[20]!["extensions"]!["code"]);
    }

    [Fact]
    public async Task An_executed_operation_lists_20_errors_and_counts_the_rest()
    {
        using var graph = new GraphClient(portal.CreateClient());
        var pages = string.Join(" ", Enumerable.Range(0, 30).Select(i => $"p{i}: entities(first: 101) {{ totalCount }}"));

        var response = await graph.PostAsync("{ " + pages + " }");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(21, response.Errors.Count);
        Assert.Equal("VALIDATION_FAILED", (string?)response.Errors[19]!["extensions"]!["code"]);
        Assert.Equal("TOO_MANY_ERRORS", (string?)response.Errors[20]!["extensions"]!["code"]);
        Assert.Equal("10 more errors were left out: a response lists at most 20 (Graph:MaxErrors).", (string?)response.Errors[20]!["message"]);
    }

    [Fact]
    public async Task A_WebSocket_error_message_is_bounded_the_same_way()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(portal.BaseAddress);

        await socket.SubscribeAsync("many", HundredUnknownFields);
        var error = await socket.ReceiveAsync();

        Assert.Equal("error", GraphQLSocket.Type(error));
        Assert.Equal(21, error["payload"]!.AsArray().Count);
        Assert.Equal("TOO_MANY_ERRORS", (string?)error["payload"]![20]!["extensions"]!["code"]);
    }
}
