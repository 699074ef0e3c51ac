using Portal.Gateway.Tests.Backstage.Catalog;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>
/// GraphQL against a PostgreSQL address where nothing listens: an operation that needs the database says the catalog is
/// unavailable and to try again, as the REST API's 503 does, instead of an opaque internal error.
/// </summary>
public sealed class Answering_without_a_database(Rejected_requests_never_reach_the_database.UnreachableDatabaseApp app)
    : IClassFixture<Rejected_requests_never_reach_the_database.UnreachableDatabaseApp>
{
    [Fact]
    public async Task A_query_that_needs_the_database_is_SERVICE_UNAVAILABLE()
    {
        using var graph = new GraphClient(app.Factory.CreateClient());

        var response = await graph.PostAsync("""{ entities(first: 1) { totalCount } }""");

        var error = response.Error("SERVICE_UNAVAILABLE");
        Assert.Contains("not reachable right now", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal("entities", (string?)error["path"]![0]);
    }

    [Fact]
    public async Task A_query_that_needs_no_database_still_answers()
    {
        using var graph = new GraphClient(app.Factory.CreateClient());

        var response = await graph.PostAsync("""{ __typename }""");

        Assert.Equal("Query", (string?)response.Ok()["__typename"]);
    }
}
