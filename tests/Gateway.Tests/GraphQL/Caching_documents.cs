using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Catalog.Locations;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Execution.Prepared;
using Portal.Gateway.Hosting.Authorization;

namespace Portal.Gateway.Tests.GraphQL;

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

        var first = (await graph.PostAsync(EntityName, new { @ref = "component:payments-api" })).Ok();
        AssertCached(EntityName);
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
        AssertCached(Page);
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
        AssertCached(Page);
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
        AssertCached(Validate);

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

    [Fact]
    public async Task Directives_follow_each_requests_variables_on_a_cached_document()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Optional = "query($ref: String!, $withTitle: Boolean!) { entity(ref: $ref) { name title @include(if: $withTitle) } }";

        var with = (await graph.PostAsync(Optional, new { @ref = "component:payments-api", withTitle = true })).Ok();
        AssertCached(Optional);
        var without = (await graph.PostAsync(Optional, new { @ref = "component:payments-api", withTitle = false })).Ok();

        Assert.NotNull(with["entity"]!.AsObject()["title"]);
        Assert.False(without["entity"]!.AsObject().ContainsKey("title"));
    }

    [Fact]
    public async Task Arguments_inside_fragments_take_each_requests_variables()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Paged = """
            query($first: Int, $kind: String!) { ...Page }
            fragment Page on Query { entities(first: $first, filter: [{ kind: [$kind] }]) { nodes { ref } } }
            """;

        var one = (await graph.PostAsync(Paged, new { first = 1, kind = "component" })).Ok();
        AssertCached(Paged);
        var three = (await graph.PostAsync(Paged, new { first = 3, kind = "group" })).Ok();

        Assert.Single(one["entities"]!["nodes"]!.AsArray());
        Assert.StartsWith("component:", (string?)one["entities"]!["nodes"]![0]!["ref"], StringComparison.Ordinal);
        Assert.Equal(3, three["entities"]!["nodes"]!.AsArray().Count);
        Assert.All(three["entities"]!["nodes"]!.AsArray(), node => Assert.StartsWith("group:", (string?)node!["ref"], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cached_document_selects_each_kinds_own_fields_and_answers_merged_selections()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Mixed = """
            query($refs: [String!]!) {
              entitiesByRefs(refs: $refs) { name ... on Component { name type } ... on Group { title } }
            }
            """;
        object Refs(params string[] refs) => new { refs };

        var first = (await graph.PostAsync(Mixed, Refs("component:payments-api", "group:payments-team"))).Ok();
        AssertCached(Mixed);
        var second = (await graph.PostAsync(Mixed, Refs("group:payments-team", "component:payments-api"))).Ok();

        foreach (var answer in new[] { first, second })
        {
            var entities = answer["entitiesByRefs"]!.AsArray().Select(e => e!.AsObject()).ToDictionary(e => (string)e["name"]!);
            Assert.Equal(["name", "type"], entities["payments-api"].Select(p => p.Key));
            Assert.Equal(["name", "title"], entities["payments-team"].Select(p => p.Key));
        }
    }

    [Theory]
    [InlineData("""{ entities(first: 3, filter: [{ kind: ["component"] }]) { nodes { id ref uid etag kind namespace name title description orphan locationId createdAt updatedAt ... on Component { type lifecycle } } } }""")]
    [InlineData("""{ entity(ref: "component:payments-api") { relations { type targetRef } } }""")]
    [InlineData("""{ entity(ref: "component:payments-api") { history(limit: 3) { change actor at } } }""")]
    public async Task Values_read_as_a_cached_documents_nodes_are_made_are_the_resolvers_own(string query)
    {
        using var graph = new GraphClient(portal.CreateClient());

        var resolved = await graph.PostAsync(query);
        resolved.Ok();
        AssertCached(query);
        var read = await graph.PostAsync(query);

        // The first answer went through GraphQL.NET's resolution of every field, the second read the properties
        // directly (PropertyFields): the same text, to the last character of every date and id.
        Assert.Equal(resolved.Text, read.Text);
        Assert.DoesNotContain("[]", read.Text, StringComparison.Ordinal); // every list has items to compare
        Assert.DoesNotContain("null", read.Text.Replace("\"title\":null", "", StringComparison.Ordinal).Replace("\"description\":null", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Selections_that_merge_on_every_request_do_not_grow_a_cached_document()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Merging = """
            { entities(first: 5, filter: [{ kind: ["component"] }]) { nodes { ref ... on Component { owner { name } } ... on Component { owner { ref } } } } }
            """;

        for (var i = 0; i < 3; i++)
        {
            (await graph.PostAsync(Merging)).Ok();
        }

        var prepared = portal.Get<GraphQLDocumentCache>().Find(GraphQLTransport.HttpPost, null, Merging)!;
        var warm = prepared.CollectedFieldListCount;
        for (var i = 0; i < 10; i++)
        {
            var owner = (await graph.PostAsync(Merging)).Ok()["entities"]!["nodes"]![0]!["owner"]!.AsObject();
            Assert.Equal(["name", "ref"], owner.Select(p => p.Key));
        }

        Assert.Equal(warm, prepared.CollectedFieldListCount);
    }

    [Fact]
    public async Task A_null_for_a_defaulted_variable_where_a_value_is_required_is_refused_on_a_cached_document()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Defaulted = """query($ref: String = "component:payments-api") { entity(ref: $ref) { name } }""";

        var byDefault = (await graph.PostAsync(Defaulted)).Ok();
        AssertCached(Defaulted);
        var explicitNull = await graph.PostAsync(Defaulted, new Dictionary<string, object?> { ["ref"] = null });

        Assert.Equal("payments-api", (string?)byDefault["entity"]!["name"]);
        Assert.Equal(HttpStatusCode.BadRequest, explicitNull.Status);
        Assert.Contains("$ref", explicitNull.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Authorization_is_asked_again_for_a_cached_document()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Names = "{ entities(first: 1) { nodes { name } } }";
        var authorizer = portal.Get<SwitchableAuthorizer>();

        (await graph.PostAsync(Names)).Ok();
        AssertCached(Names);
        authorizer.Denied = CatalogOperations.EntitiesRead;
        try
        {
            var refused = await graph.PostAsync(Names);

            // Refused in validation, so nothing executed: 400 with the code, as for an uncached document.
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("revoked", (string?)refused.Error("FORBIDDEN")["message"], StringComparison.Ordinal);
        }
        finally
        {
            authorizer.Denied = null;
        }
    }

    /// <summary>The document was kept for POST: the next request with it takes the prepared path.</summary>
    private void AssertCached(string query) => Assert.NotNull(portal.Get<GraphQLDocumentCache>().Find(GraphQLTransport.HttpPost, null, query));

    /// <summary>An authorization rule whose policy changes while the gateway runs (a permission revoked).</summary>
    public sealed class SwitchableAuthorizer : IPortalAuthorizer
    {
        private volatile string? _denied;

        public string? Denied { get => _denied; set => _denied = value; }

        public string? Deny(AccessRequest request) => request.Resource == _denied ? $"{request.Resource} was revoked for this caller." : null;
    }

    public sealed class FrugalPortal : PortalApp
    {
        protected override void ConfigureServices(IServiceCollection services)
        {
            services.AddSingleton<SwitchableAuthorizer>();
            services.AddSingleton<IPortalAuthorizer>(provider => provider.GetRequiredService<SwitchableAuthorizer>());
        }

        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Graph:MaxComplexity"] = "100",
        };

        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            await Get<LocationService>().RegisterAsync("file", AcmePortal.CatalogInfo, CancellationToken.None);
        }
    }
}
