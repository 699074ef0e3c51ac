using System.Net;
using System.Text;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Execution.Prepared;
using Portal.Gateway.Hosting.Authorization;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>Requests over a limit are refused during validation: a clear error, the spec's status, no SQL sent.</summary>
public sealed class Protecting_the_graph(AcmePortal portal) : IClassFixture<AcmePortal>
{
    [Fact]
    public async Task A_document_nested_50_deep_is_refused_before_anything_runs()
    {
        var nested = new StringBuilder("{ entity(ref: \"group:acme\") { ... on Group { children { ");
        for (var i = 0; i < 48; i++)
        {
            nested.Append("... on Group { children { ");
        }

        nested.Append("ref").Append(" } }", 0, 4);
        nested.Append(string.Concat(Enumerable.Repeat(" } }", 49))).Append(" } }");

        var response = await RejectedAsync(nested.ToString());

        Assert.Contains("depth", response.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_thousand_aliases_are_refused()
    {
        var aliases = string.Join(" ", Enumerable.Range(0, 1000).Select(i => $"a{i}: entity(ref: \"group:acme\") {{ ref }}"));

        var response = await RejectedAsync("{ " + aliases + " }");

        Assert.Equal("TOO_MANY_ALIASES", (string?)response.Errors[0]!["extensions"]!["code"]);
        Assert.Contains("more than 50 aliases", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_of_100000_is_refused_by_the_complexity_limit()
    {
        var response = await RejectedAsync("{ entities(first: 100000) { nodes { ref ... on Component { owner { name } } } } }");

        Assert.Contains("complexity", response.Text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_page_over_the_page_size_limit_names_the_limit()
    {
        using var graph = portal.Graph();

        var response = await graph.PostAsync("{ entities(first: 101) { totalCount } }");

        var error = response.Error("VALIDATION_FAILED");
        Assert.Contains("first must be between 1 and 100; got 101", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Variables_of_the_wrong_type_are_400_naming_the_variable()
    {
        using var graph = portal.Graph();

        var response = await graph.PostAsync("query($first: Int) { entities(first: $first) { totalCount } }", new { first = "twenty" });

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Contains("$first", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_operation_name_is_400_and_sends_no_sql()
    {
        var response = await RejectedAsync("query A { version } query B { version }", operationName: "C");

        Assert.Contains("C", (string?)response.Errors[0]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_filter_path_is_a_validation_error_with_the_field_path()
    {
        using var graph = portal.Graph();

        var response = await graph.PostAsync("""{ entities(filter: [{ fields: [{ path: " " }] }]) { totalCount } }""");

        var error = response.Error("VALIDATION_FAILED");
        Assert.Contains("filter.fields[0].path", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal("entities", (string?)error["path"]![0]);
    }

    [Theory]
    // The catalog's bounds (CatalogLimits), which REST applies too: a search of 257 characters, 11 order fields.
    [InlineData("{ entities(search: \"SEARCH\") { totalCount } }", "search is 257 characters; at most 256")]
    [InlineData("{ entities(orderBy: [ORDER]) { totalCount } }", "orderBy names 11 fields; at most 10")]
    [InlineData("{ entity(ref: \"component:payments-api\") { ... on Component { dependencies(first: 101) { ref } } } }", "first must be between 1 and 100; got 101")]
    [InlineData("{ entity(ref: \"component:payments-api\") { ... on Component { dependents(depth: 11) { ref } } } }", "depth must be between 1 and 10; got 11")]
    [InlineData("mutation { registerLocation(type: \"file\", target: \"TARGET\", dryRun: true) { exists } }", "target is 4097 characters; at most 4096")]
    public async Task Arguments_over_their_bounds_are_refused_naming_the_bound(string query, string message)
    {
        using var graph = portal.Graph();

        var response = await graph.PostAsync(query
            .Replace("SEARCH", new string('x', 257), StringComparison.Ordinal)
            .Replace("TARGET", "/" + new string('x', 4096), StringComparison.Ordinal)
            .Replace("ORDER", string.Join(", ", Enumerable.Range(0, 11).Select(i => $"{{ field: \"f{i}\" }}")), StringComparison.Ordinal));

        Assert.Contains(message, (string?)response.Error("VALIDATION_FAILED")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_null_inside_a_filter_list_is_refused_by_validation()
    {
        var response = await RejectedAsync("{ entities(filter: [{ kind: [null] }]) { totalCount } }");

        Assert.Contains("kind", (string?)response.Errors[0]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_document_with_too_many_fields_is_refused()
    {
        var fields = string.Join(" ", Enumerable.Range(0, 1100).Select(_ => "version"));

        var response = await RejectedAsync("{ " + fields + " }");

        Assert.Equal("TOO_MANY_FIELDS", (string?)response.Errors[0]!["extensions"]!["code"]);
    }

    private async Task<GraphResponse> RejectedAsync(string query, string? operationName = null)
    {
        using var graph = portal.Graph();
        using var roundTrips = new SqlRoundTrips();

        var response = await graph.PostAsync(query, operationName: operationName, traceParent: roundTrips.TraceParent);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Null(response.Json["data"]);
        Assert.True(roundTrips.Count == 0, "a refused request sent SQL:\n" + roundTrips);
        return response;
    }
}

/// <summary>Settings that switch protections on or off.</summary>
public sealed class Configured_protections(Configured_protections.ReadOnlyPortal portal) : IClassFixture<Configured_protections.ReadOnlyPortal>
{
    [Fact]
    public async Task A_read_only_server_refuses_mutations_with_FORBIDDEN_and_still_answers_queries()
    {
        using var graph = new GraphClient(portal.CreateClient());
        using var roundTrips = new SqlRoundTrips();

        var mutation = await graph.PostAsync("""mutation { deleteEntity(ref: "component:x") }""", traceParent: roundTrips.TraceParent);
        var query = await graph.PostAsync("{ entities { totalCount } }");

        Assert.Equal(HttpStatusCode.BadRequest, mutation.Status);
        Assert.Equal("FORBIDDEN", (string?)mutation.Errors[0]!["extensions"]!["code"]);
        Assert.Contains(CatalogOperations.EntitiesDelete, (string?)mutation.Errors[0]!["message"], StringComparison.Ordinal);
        Assert.Equal(0, roundTrips.Count);
        Assert.Equal(0, (int)query.Ok()["entities"]!["totalCount"]!);
    }

    [Fact]
    public async Task A_read_only_server_refuses_REST_writes_with_Backstage_s_NotAllowedError_and_still_serves_reads()
    {
        using var client = portal.CreateClient();

        using var write = await client.PostAsync("/api/catalog/locations",
            new StringContent("""{"type":"file","target":"/tmp/x.yaml"}""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        using var read = await client.GetAsync("/api/catalog/entities/by-query", TestContext.Current.CancellationToken);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await write.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;

        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("NotAllowedError", (string?)body["error"]!["name"]);
        Assert.Contains("read-only", (string?)body["error"]!["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
    }

    [Theory]
    [InlineData("DELETE", "/api/catalog/locations/00000000-0000-0000-0000-000000000001?dryRun=true")]
    [InlineData("DELETE", "/api/catalog/entities/by-uid/00000000-0000-0000-0000-000000000001?dryRun=true")]
    [InlineData("POST", "/api/catalog/refresh?dryRun=true")]
    public async Task A_read_only_server_refuses_REST_writes_that_claim_a_dry_run_they_do_not_have(string method, string path)
    {
        using var client = portal.CreateClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "POST" ? new StringContent("""{"entityRef":"component:default/x"}""", System.Text.Encoding.UTF8, "application/json") : null,
        };

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_read_only_server_allows_a_location_dry_run_which_stores_nothing()
    {
        using var client = portal.CreateClient();

        using var dryRun = await client.PostAsync("/api/catalog/locations?dryRun=yes",
            new StringContent($$"""{"type":"file","target":"{{AcmePortal.CatalogInfo}}"}""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        using var listed = await client.GetAsync("/api/catalog/locations", TestContext.Current.CancellationToken);

        Assert.True(dryRun.IsSuccessStatusCode, $"dry run answered {(int)dryRun.StatusCode}: {await dryRun.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        Assert.Equal("[]", await listed.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_read_only_server_allows_the_mutations_that_store_nothing_as_REST_does()
    {
        using var graph = new GraphClient(portal.CreateClient());

        var validated = await graph.PostAsync("""mutation { validateEntities(content: "kind: Component") { valid } }""");
        var dryRun = await graph.PostAsync(
            "mutation($target: String!) { registerLocation(type: \"file\", target: $target, dryRun: true) { entityRefs } }",
            new { target = AcmePortal.CatalogInfo });
        var stored = await graph.PostAsync("{ locations { id } }");

        Assert.False((bool)validated.Ok()["validateEntities"]!["valid"]!);
        Assert.Contains("component:default/payments-api", dryRun.Ok()["registerLocation"]!["entityRefs"]!.AsArray().Select(r => (string?)r));
        Assert.Empty(stored.Ok()["locations"]!.AsArray());
    }

    [Fact]
    public async Task A_read_only_server_refuses_a_registration_whose_dryRun_is_false_even_on_a_cached_document()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Register = "mutation($target: String!, $dryRun: Boolean!) { registerLocation(type: \"file\", target: $target, dryRun: $dryRun) { entityRefs } }";

        var dryRun = await graph.PostAsync(Register, new { target = AcmePortal.CatalogInfo, dryRun = true });
        Assert.NotNull(portal.Get<GraphQLDocumentCache>().Find(GraphQLTransport.HttpPost, null, Register));
        var real = await graph.PostAsync(Register, new { target = AcmePortal.CatalogInfo, dryRun = false });
        var unsaid = await graph.PostAsync("""mutation { registerLocation(type: "file", target: "/tmp/x.yaml") { entityRefs } }""");

        dryRun.Ok();
        Assert.Equal(HttpStatusCode.BadRequest, real.Status);
        Assert.Contains(CatalogOperations.LocationsRegister, (string?)real.Error("FORBIDDEN")["message"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unsaid.Status);
        unsaid.Error("FORBIDDEN");
    }

    [Fact]
    public async Task Introspection_can_be_switched_off()
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync("{ __schema { queryType { name } } }");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("INTROSPECTION_DISABLED", (string?)response.Errors[0]!["extensions"]!["code"]);
    }

    public sealed class ReadOnlyPortal : PortalApp
    {
        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Auth:Mode"] = "ReadOnly",
            ["Graph:EnableIntrospection"] = "false",
        };
    }
}

public sealed class Timing_out(Timing_out.ImpatientPortal portal) : IClassFixture<Timing_out.ImpatientPortal>
{
    [Fact]
    public async Task An_operation_over_the_time_limit_ends_with_a_504_and_a_TIMEOUT_error()
    {
        await portal.Get<Portal.Catalog.Locations.LocationService>().RegisterAsync("file", AcmePortal.CatalogInfo, CancellationToken.None);
        using var graph = new GraphClient(portal.CreateClient());

        // Dozens of graph walks, one round trip each: far over a millisecond on any machine.
        var response = await graph.PostAsync("{ entities(first: 100) { nodes { ... on Component { dependents(depth: 10, first: 5) { ref } dependencies(depth: 10, first: 5) { ref } } ... on Resource { dependents(depth: 10, first: 5) { ref } } } } }");

        Assert.True(response.Status == HttpStatusCode.GatewayTimeout, response.Text);
        Assert.Equal("TIMEOUT", (string?)response.Errors[0]!["extensions"]!["code"]);
    }

    public sealed class ImpatientPortal : PortalApp
    {
        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Graph:ExecutionTimeout"] = "00:00:00.001",
        };
    }
}
