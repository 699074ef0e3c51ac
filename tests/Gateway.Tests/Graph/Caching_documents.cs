using System.Net;
using Portal.Catalog.Locations;
using Portal.Gateway.Graph;
using Portal.Testing;

namespace Portal.Gateway.Tests.Graph;

/// <summary>
/// A document is parsed and validated once per transport and operation; what depends on the request (variables,
/// complexity, the transport's rules, authorization) is still checked every time.
/// </summary>
public sealed class Caching_documents(Caching_documents.FrugalPortal portal) : IClassFixture<Caching_documents.FrugalPortal>
{
    private const string EntityName = "query($ref: String!) { entity(ref: $ref) { name } }";

    [Fact]
    public async Task A_cached_document_answers_each_requests_own_variables()
    {
        using var graph = new GraphClient(portal.CreateClient());
        var cache = portal.Get<GraphDocumentCache>();

        var first = (await graph.PostAsync(EntityName, new { @ref = "component:payments-api" })).Ok();
        Assert.NotNull(cache.Find(GraphTransport.HttpPost, null, EntityName));
        var second = (await graph.PostAsync(EntityName, new { @ref = "group:payments-team" })).Ok();

        Assert.Equal("payments-api", (string?)first["entity"]!["name"]);
        Assert.Equal("payments-team", (string?)second["entity"]!["name"]);
    }

    [Fact]
    public async Task The_complexity_limit_is_checked_with_each_requests_variables()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Page = "query($first: Int) { entities(first: $first) { nodes { ref name title } } }";

        (await graph.PostAsync(Page, new { first = 2 })).Ok();
        Assert.NotNull(portal.Get<GraphDocumentCache>().Find(GraphTransport.HttpPost, null, Page));
        var large = await graph.PostAsync(Page, new { first = 100 });

        Assert.Equal(HttpStatusCode.BadRequest, large.Status);
        Assert.Contains("complexity", large.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Variables_of_the_wrong_type_are_refused_on_a_cached_document()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Page = "query($first: Int) { entities(first: $first) { totalCount } }";

        (await graph.PostAsync(Page, new { first = 1 })).Ok();
        Assert.NotNull(portal.Get<GraphDocumentCache>().Find(GraphTransport.HttpPost, null, Page));
        var wrong = await graph.PostAsync(Page, new { first = "twenty" });

        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Contains("$first", wrong.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_mutation_cached_from_a_POST_is_still_refused_over_GET()
    {
        using var client = portal.CreateClient();
        using var graph = new GraphClient(portal.CreateClient());
        const string Validate = """mutation { validateEntities(content: "kind: Component") { valid } }""";
        var posted = await graph.PostAsync(Validate);
        Assert.NotNull(portal.Get<GraphDocumentCache>().Find(GraphTransport.HttpPost, null, Validate));

        using var overGet = await client.GetAsync("/graphql?query=" + Uri.EscapeDataString(Validate), TestContext.Current.CancellationToken);

        Assert.False((bool)posted.Ok()["validateEntities"]!["valid"]!);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, overGet.StatusCode);
    }

    [Fact]
    public async Task Each_operation_of_a_cached_document_is_checked_on_its_own()
    {
        using var client = portal.CreateClient();
        var document = Uri.EscapeDataString("query read { __typename } mutation write { validateEntities(content: \"kind: Component\") { valid } }");

        using var read = await client.GetAsync($"/graphql?query={document}&operationName=read", TestContext.Current.CancellationToken);
        using var write = await client.GetAsync($"/graphql?query={document}&operationName=write", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, write.StatusCode);
        Assert.Contains("POST", write.Content.Headers.Allow);
    }

    public sealed class FrugalPortal : PortalApp
    {
        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Graph:MaxComplexity"] = "100",
        };

        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            await Get<LocationService>().RegisterAsync("file", AcmePortal.CatalogInfo, dryRun: false, CancellationToken.None);
        }
    }
}
