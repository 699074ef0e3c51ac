using System.Net;
using Portal.Gateway.Tests.GraphQL.Subscriptions;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>
/// With introspection switched off (<c>Graph:EnableIntrospection=false</c>), no error suggests the schema's names:
/// GraphQL.NET's "Did you mean ..." would hand out field, argument and type names one guess at a time.
/// </summary>
public sealed class Hiding_the_schema(Configured_protections.ReadOnlyPortal portal) : IClassFixture<Configured_protections.ReadOnlyPortal>
{
    [Theory]
    [InlineData("{ entitie { totalCount } }", "Cannot query field 'entitie' on type 'Query'.")]
    [InlineData("{ entities(frist: 1) { totalCount } }", "Unknown argument 'frist' on field 'entities' of type 'Query'.")]
    [InlineData("query($f: [EntityFilterInputt!]) { entities(filter: $f) { totalCount } }", "Unknown type EntityFilterInputt.")]
    [InlineData("{ entities { nodes { ... on Component { ownr { ref } } } } }", "Cannot query field 'ownr' on type 'Component'.")]
    public async Task Validation_errors_make_no_suggestions(string query, string message)
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync(query);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains(response.Errors, e => (string?)e!["message"] == message);
        Assert.DoesNotContain("Did you mean", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nor_over_a_WebSocket()
    {
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(portal.BaseAddress);

        await socket.SubscribeAsync("typo", "{ entitie { totalCount } }");
        var error = await socket.ReceiveAsync();

        Assert.Equal("error", GraphQLSocket.Type(error));
        Assert.Equal("Cannot query field 'entitie' on type 'Query'.", (string?)error["payload"]![0]!["message"]);
        Assert.DoesNotContain("Did you mean", error.ToJsonString(), StringComparison.Ordinal);
    }
}
