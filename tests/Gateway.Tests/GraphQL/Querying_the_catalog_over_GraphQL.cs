using System.Text.Json.Nodes;
using GraphQL.DataLoader;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Catalog;

namespace Portal.Gateway.Tests.GraphQL;

public sealed class Querying_the_catalog_over_GraphQL(AcmePortal portal) : IClassFixture<AcmePortal>
{
    [Fact]
    public async Task An_entity_by_ref_shows_its_kind_fields_and_typed_relations()
    {
        using var graph = portal.Graph();

        var data = (await graph.PostAsync("""
            {
              entity(ref: "component:payments-api") {
                __typename id ref kind namespace name title tags
                ... on Component {
                  type lifecycle
                  owner { ref ... on Group { type } }
                  system { ref name }
                  providesApis { ref }
                  consumesApis { ref }
                  dependsOn { ref kind }
                  dependencyOf { ref }
                  hasPart { ref }
                }
                relations(type: "ownedBy") { type targetRef target { name } }
                createdAt updatedAt history(limit: 1) { change at }
              }
            }
            """)).Ok();

        var entity = data["entity"]!;
        Assert.Equal("Component", (string?)entity["__typename"]);
        Assert.Equal("component:default/payments-api", (string?)entity["ref"]);
        Assert.Equal("payments-api", (string?)entity["name"]);
        Assert.Equal("group:default/payments-team", (string?)entity["owner"]!["ref"]);
        Assert.Equal("payments", (string?)entity["system"]!["name"]);
        Assert.Equal(["api:default/payments-rest"], Refs(entity["providesApis"]));
        Assert.Equal(["api:default/search-api"], Refs(entity["consumesApis"]));
        Assert.Equal(["resource:default/payments-db"], Refs(entity["dependsOn"]));
        Assert.Equal(["component:default/checkout-web"], Refs(entity["dependencyOf"]));
        Assert.Equal(["component:default/ledger-lib"], Refs(entity["hasPart"]));
        Assert.Equal("payments-team", (string?)entity["relations"]![0]!["target"]!["name"]);
        Assert.True(DateTimeOffset.TryParse((string?)entity["createdAt"], out _), $"createdAt: {entity["createdAt"]}");
        Assert.Equal("created", (string?)entity["history"]![0]!["change"]);
    }

    [Fact]
    public async Task Groups_and_users_show_their_hierarchy_and_membership()
    {
        using var graph = portal.Graph();

        var data = (await graph.PostAsync("""
            {
              group: entity(ref: "group:payments-team") { ... on Group { parent { ref } members { ref } ownerOf { ref } } }
              user: entity(ref: "user:bob") { ... on User { memberOf { ref } ownerOf { ref } } }
              root: entity(ref: "group:acme") { ... on Group { children { ref } } }
            }
            """)).Ok();

        Assert.Equal("group:default/acme", (string?)data["group"]!["parent"]!["ref"]);
        Assert.Equal(["user:default/alice"], Refs(data["group"]!["members"]));
        Assert.Contains("system:default/payments", Refs(data["group"]!["ownerOf"]));
        Assert.Equal(["group:default/platform"], Refs(data["user"]!["memberOf"]));
        Assert.Equal(["component:default/ledger-lib"], Refs(data["user"]!["ownerOf"]));
        Assert.Equal(["group:default/payments-team", "group:default/platform", "group:default/search-team"], Refs(data["root"]!["children"]).Order());
    }

    [Fact]
    public async Task The_transitive_dependency_graph_is_bounded_by_depth()
    {
        using var graph = portal.Graph();

        var data = (await graph.PostAsync("""
            {
              entity(ref: "component:checkout-web") {
                ... on Component { near: dependencies(depth: 1) { ref } far: dependencies(depth: 2) { ref } nearest: dependencies(depth: 2, first: 1) { ref } }
              }
              db: entity(ref: "resource:payments-db") { ... on Resource { dependents(depth: 2) { ref } } }
            }
            """)).Ok();

        Assert.Equal(["component:default/payments-api", "component:default/search-indexer"], Refs(data["entity"]!["near"]).Order());
        Assert.Equal(["component:default/payments-api", "component:default/search-indexer", "resource:default/payments-db"], Refs(data["entity"]!["far"]).Order());
        Assert.Equal(["component:default/payments-api"], Refs(data["entity"]!["nearest"]));
        Assert.Equal(["component:default/checkout-web", "component:default/payments-api", "component:default/search-indexer"], Refs(data["db"]!["dependents"]).Order());
    }

    [Fact]
    public async Task A_missing_entity_is_null_and_a_malformed_ref_is_a_validation_error()
    {
        using var graph = portal.Graph();

        var missing = (await graph.PostAsync("""{ entity(ref: "component:nope") { ref } }""")).Ok();
        var malformed = await graph.PostAsync("""{ entity(ref: "component:") { ref } }""");

        Assert.Null(missing["entity"]);
        var error = malformed.Error("VALIDATION_FAILED");
        Assert.Contains("not an entity reference", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal("entity", (string?)error["path"]![0]);
    }

    [Fact]
    public async Task EntitiesByRefs_keeps_the_order_and_answers_null_for_misses()
    {
        using var graph = portal.Graph();

        var data = (await graph.PostAsync("""
            { entitiesByRefs(refs: ["user:carol", "component:nope", "api:payments-rest", "user:carol"]) { ref } }
            """)).Ok();

        var items = data["entitiesByRefs"]!.AsArray();
        Assert.Equal(4, items.Count);
        Assert.Equal("user:default/carol", (string?)items[0]!["ref"]);
        Assert.Null(items[1]);
        Assert.Equal("api:default/payments-rest", (string?)items[2]!["ref"]);
        Assert.Equal("user:default/carol", (string?)items[3]!["ref"]);
    }

    [Fact]
    public async Task A_filtered_connection_pages_with_cursors_and_counts_every_match()
    {
        using var graph = portal.Graph();
        const string Query = """
            query Page($after: String) {
              entities(filter: [{ kind: ["component"] }, { kind: ["api"], owner: ["search-team"] }],
                       orderBy: [{ field: "metadata.name", direction: DESC }], first: 2, after: $after) {
                totalCount
                edges { cursor node { ref } }
                nodes { name }
                pageInfo { hasNextPage endCursor }
              }
            }
            """;

        var seen = new List<string>();
        string? after = null;
        for (var page = 0; page < 5; page++)
        {
            var connection = (await graph.PostAsync(Query, new { after })).Ok()["entities"]!;
            Assert.Equal(5, (int)connection["totalCount"]!);
            seen.AddRange(connection["edges"]!.AsArray().Select(e => (string)e!["node"]!["ref"]!));
            Assert.Equal(connection["edges"]!.AsArray().Last()!["cursor"]!.ToJsonString(), connection["pageInfo"]!["endCursor"]!.ToJsonString());
            if (!(bool)connection["pageInfo"]!["hasNextPage"]!)
            {
                break;
            }

            after = (string?)connection["pageInfo"]!["endCursor"];
        }

        Assert.Equal(
            ["component:default/search-indexer", "api:default/search-api", "component:default/payments-api", "component:default/ledger-lib", "component:default/checkout-web"],
            seen);
    }

    [Fact]
    public async Task Filters_cover_type_lifecycle_system_tags_field_paths_relations_and_negation()
    {
        using var graph = portal.Graph();

        var data = (await graph.PostAsync("""
            {
              bySystem: entities(filter: [{ kind: ["Component"], system: ["payments"] }], orderBy: [{ field: "metadata.name" }]) { nodes { name } }
              byRelation: entities(filter: [{ relations: [{ type: "dependsOn", targets: ["resource:default/payments-db"] }] }], orderBy: [{ field: "metadata.name" }]) { nodes { name } }
              byPath: entities(filter: [{ fields: [{ path: "spec.memberOf", values: ["PLATFORM"] }] }]) { nodes { name } }
              exists: entities(filter: [{ kind: ["user"], fields: [{ path: "spec.profile.email" }] }]) { totalCount }
              notComponents: entities(filter: [{ namespace: ["default"], not: { kind: ["component", "api", "resource", "user", "group"] } }]) { totalCount }
              search: entities(search: "LEDGER") { nodes { name } }
            }
            """)).Ok();

        Assert.Equal(["checkout-web", "payments-api"], Names(data["bySystem"]));
        Assert.Equal(["payments-api", "search-indexer"], Names(data["byRelation"]));
        Assert.Equal(["bob"], Names(data["byPath"]));
        Assert.True((int)data["exists"]!["totalCount"]! >= 0);
        Assert.Equal(5, (int)data["notComponents"]!["totalCount"]!); // 2 systems, 2 domains, 1 location
        Assert.Equal(["ledger-lib"], Names(data["search"]));
    }

    [Fact]
    public async Task Facets_count_values_over_the_filtered_entities()
    {
        using var graph = portal.Graph();

        var data = (await graph.PostAsync("""
            { facets(fields: ["kind", "spec.type"], filter: [{ kind: ["component", "api"] }]) { field values { value count } } }
            """)).Ok();

        var kinds = data["facets"]![0]!["values"]!.AsArray().ToDictionary(v => (string)v!["value"]!, v => (int)v!["count"]!);
        Assert.Equal("kind", (string?)data["facets"]![0]!["field"]);
        Assert.Equal(4, kinds["Component"]);
        Assert.Equal(2, kinds["API"]);
    }

    [Fact]
    public async Task A_node_comes_back_by_its_global_id()
    {
        using var graph = portal.Graph();
        var id = (string)(await graph.PostAsync("""{ entity(ref: "system:payments") { id } }""")).Ok()["entity"]!["id"]!;

        var data = (await graph.PostAsync("query($id: ID!) { node(id: $id) { id ... on System { name domain { name } } } }", new { id })).Ok();

        Assert.Equal("payments", (string?)data["node"]!["name"]);
        Assert.Equal("payments-domain", (string?)data["node"]!["domain"]!["name"]);
    }

    [Fact]
    public async Task The_status_of_a_page_and_of_its_owners_costs_no_round_trip_of_its_own_whatever_its_size()
    {
        using var graph = portal.Graph();
        const string Query = "query($first: Int) { entities(first: $first) { nodes { ref status { message } ... on Component { owner { status { message } } } } } }";

        var small = await CountRoundTripsAsync(graph, Query, 1);
        var large = await CountRoundTripsAsync(graph, Query, 20);

        // The page's rows with their warnings, and its owners with theirs, in the page's one batch.
        Assert.True(small.RoundTrips == 1, "page of 1:\n" + small.Commands);
        Assert.True(large.RoundTrips == 1, "page of 20:\n" + large.Commands);
        Assert.True(large.Items > small.Items, $"the larger page held {large.Items} items");
    }

    [Fact]
    public async Task A_page_of_components_with_owner_system_and_apis_costs_the_same_round_trips_whatever_its_size()
    {
        using var graph = portal.Graph();
        const string Query = """
            query($first: Int) {
              entities(filter: [{ kind: ["component"] }], first: $first) {
                nodes {
                  ref
                  ... on Component { owner { name } system { name } providesApis { name } dependsOn { name } }
                  ... on API { owner { name } system { name } }
                  ... on Resource { owner { name } system { name } }
                }
              }
            }
            """;

        var small = await CountRoundTripsAsync(graph, Query, 1);
        var large = await CountRoundTripsAsync(graph, Query, 20);

        // The page (with its relations), then every owner, system, API and dependency at once.
        Assert.True(small.RoundTrips == 2, "page of 1:\n" + small.Commands);
        Assert.True(large.RoundTrips == 2, "page of 20:\n" + large.Commands);
        Assert.True(large.Items > small.Items, $"the larger page held {large.Items} items");
    }

    [Fact]
    public async Task A_page_showing_names_owners_and_systems_reads_neither_descriptors_nor_relations()
    {
        using var graph = portal.Graph();
        using var roundTrips = new SqlRoundTrips();

        var data = (await graph.PostAsync("""
            {
              entities(filter: [{ kind: ["component"] }], first: 20) {
                totalCount
                nodes { ref name ... on Component { type lifecycle owner { ref name } system { ref name } } }
              }
            }
            """, traceParent: roundTrips.TraceParent)).Ok();

        var payments = data["entities"]!["nodes"]!.AsArray().Single(n => (string?)n!["name"] == "payments-api")!;
        Assert.Equal("payments-team", (string?)payments["owner"]!["name"]);
        Assert.Equal("payments", (string?)payments["system"]!["name"]);
        Assert.True(roundTrips.Count == 1, "expected the page with its owners and systems in one round trip:\n" + roundTrips);
        Assert.Contains("catalog.entities", roundTrips.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("catalog.relations", roundTrips.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("e.document", roundTrips.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relations_asked_for_through_a_fragment_or_a_merged_field_are_answered()
    {
        using var graph = portal.Graph();

        // The second `entity` merges into the first, whose own selection reads no relations.
        var entity = (await graph.PostAsync("""
            query {
              entity(ref: "component:payments-api") { ref }
              entity(ref: "component:payments-api") { relations(type: "dependsOn") { targetRef } ... deps }
            }
            fragment deps on Component { dependsOn { ref } descriptor }
            """)).Ok()["entity"]!;
        using var roundTrips = new SqlRoundTrips();
        var page = (await graph.PostAsync("""
            query {
              entities(filter: [{ fields: [{ path: "metadata.name", values: ["payments-api"] }] }]) {
                edges { node { ref annotations ... on Component { owner { spec ... on Group { parent { ref } } } } ...deps } }
              }
            }
            fragment deps on Component { dependsOn { ref } descriptor }
            """, traceParent: roundTrips.TraceParent)).Ok()["entities"]!;

        Assert.Equal("component:default/payments-api", (string?)entity["ref"]);
        Assert.Equal("resource:default/payments-db", (string?)entity["relations"]![0]!["targetRef"]);
        Assert.Equal(["resource:default/payments-db"], Refs(entity["dependsOn"]));
        Assert.Contains(entity["descriptor"]!["relations"]!.AsArray(), r => (string?)r!["type"] == "ownedBy");
        var node = page["edges"]![0]!["node"]!;
        Assert.Equal(["resource:default/payments-db"], Refs(node["dependsOn"]));
        Assert.Contains(node["descriptor"]!["relations"]!.AsArray(), r => (string?)r!["targetRef"] == "group:default/payments-team");
        Assert.Equal("acme/payments-api", (string?)node["annotations"]!["github.com/project-slug"]);
        Assert.Equal("team", (string?)node["owner"]!["spec"]!["type"]);
        Assert.Equal("group:default/acme", (string?)node["owner"]!["parent"]!["ref"]);

        // Read ahead through the fragment: the page with what it needs and its owner, then its dependencies and the
        // owner's parent in one batch.
        Assert.True(roundTrips.Count == 2, "expected two round trips:\n" + roundTrips);
    }

    [Fact]
    public async Task An_entity_read_without_its_descriptor_and_relations_gets_them_from_the_loader_when_a_field_needs_them()
    {
        // The query's selection decides what is read up front; this is the safety net behind a guess that fell short.
        var queries = portal.Get<EntityQueryService>();
        var slim = (await queries.GetManyAsync(["component:default/payments-api"], EntityParts.Columns, TestContext.Current.CancellationToken))[0]!;
        Assert.Equal(EntityParts.Columns, slim.Parts);
        Assert.Equal("payments", slim.SystemRef?.Split('/')[^1]);
        Assert.Null(slim.Relations);
        Assert.Null(slim.Descriptor);

        var loader = new EntityLoader(queries);
        var relations = (IDataLoaderResult)loader.With(EntityParts.Relations, slim, e => e.Relations!.Select(r => r.TargetRef).ToList())!;
        var annotations = (IDataLoaderResult)loader.With(EntityParts.Document, slim, e => e.Descriptor!.Json["metadata"]!["annotations"]!.ToJsonString())!;

        var targets = (List<string>)(await relations.GetResultAsync(TestContext.Current.CancellationToken))!;
        Assert.Contains("resource:default/payments-db", targets);
        Assert.Contains("group:default/payments-team", targets);
        Assert.Contains("acme/payments-api", (string)(await annotations.GetResultAsync(TestContext.Current.CancellationToken))!, StringComparison.Ordinal);
    }

    private static async Task<(int RoundTrips, int Items, string Commands)> CountRoundTripsAsync(GraphClient graph, string query, int first)
    {
        using var roundTrips = new SqlRoundTrips();
        var response = await graph.PostAsync(query, new { first }, traceParent: roundTrips.TraceParent);
        return (roundTrips.Count, response.Ok()["entities"]!["nodes"]!.AsArray().Count, roundTrips.ToString());
    }

    private static List<string> Refs(JsonNode? list) => list!.AsArray().Select(e => (string)e!["ref"]!).ToList();

    private static List<string> Names(JsonNode? connection) => connection!["nodes"]!.AsArray().Select(e => (string)e!["name"]!).ToList();
}
