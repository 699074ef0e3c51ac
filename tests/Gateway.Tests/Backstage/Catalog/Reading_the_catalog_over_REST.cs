using System.Net;
using System.Text.Json;
using Portal.Gateway.Tests.GraphQL;

namespace Portal.Gateway.Tests.Backstage.Catalog;

public sealed class Reading_the_catalog_over_REST(AcmeCatalogApp app) : IClassFixture<AcmeCatalogApp>
{
    private CatalogApiClient Api() => new(app.CreateClient());

    [Fact]
    public async Task By_query_answers_items_totalItems_and_a_cursor_that_visits_the_rest()
    {
        using var api = Api();

        var first = await api.GetAsync("/entities/by-query?filter=kind=component&limit=3&orderField=metadata.name,asc");
        var second = await api.GetAsync("/entities/by-query?limit=3&cursor="
            + Uri.EscapeDataString(first.Json.GetProperty("pageInfo").GetProperty("nextCursor").GetString()!));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("application/json", first.MediaType);
        Assert.Equal(["checkout-web", "ledger-lib", "payments-api"], first.ItemNames());
        Assert.Equal(4, first.Json.GetProperty("totalItems").GetInt32());
        Assert.Equal(["search-indexer"], second.ItemNames());
        Assert.Equal(4, second.Json.GetProperty("totalItems").GetInt32());
        Assert.Equal(JsonValueKind.Object, second.Json.GetProperty("pageInfo").ValueKind);
        Assert.False(second.Json.GetProperty("pageInfo").TryGetProperty("nextCursor", out _), "the last page has no next cursor");
    }

    [Fact]
    public async Task Without_a_limit_a_page_holds_twenty_items()
    {
        using var api = Api();

        var page = await api.GetAsync("/entities/by-query");

        Assert.Equal(19, page.Json.GetProperty("totalItems").GetInt32());
        Assert.Equal(19, page.ItemNames().Count);
        Assert.False(page.Json.GetProperty("pageInfo").TryGetProperty("nextCursor", out _));
    }

    [Fact]
    public async Task An_entity_comes_back_in_Backstage_shape_with_uid_etag_namespace_and_relations()
    {
        using var api = Api();

        var response = await api.GetAsync("/entities/by-name/component/default/payments-api");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var entity = response.Json;
        Assert.Equal("backstage.io/v1alpha1", entity.GetProperty("apiVersion").GetString());
        Assert.Equal("Component", entity.GetProperty("kind").GetString());
        var metadata = entity.GetProperty("metadata");
        Assert.Equal("default", metadata.GetProperty("namespace").GetString());
        Assert.True(Guid.TryParse(metadata.GetProperty("uid").GetString(), out _));
        Assert.False(string.IsNullOrEmpty(metadata.GetProperty("etag").GetString()));
        Assert.Equal("Payments API", metadata.GetProperty("title").GetString());
        Assert.Equal("service", entity.GetProperty("spec").GetProperty("type").GetString());
        Assert.Contains(entity.GetProperty("relations").EnumerateArray(), r =>
            r.GetProperty("type").GetString() == "ownedBy" && r.GetProperty("targetRef").GetString() == "group:default/payments-team");
    }

    [Fact]
    public async Task By_name_is_case_insensitive_as_entity_refs_are()
    {
        using var api = Api();

        var response = await api.GetAsync("/entities/by-name/Component/Default/Payments-API");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("payments-api", ApiResponse.Name(response.Json));
    }

    [Fact]
    public async Task By_uid_finds_the_entity_that_by_name_returned()
    {
        using var api = Api();
        var byName = await api.GetAsync("/entities/by-name/user/default/bob");
        var uid = byName.Json.GetProperty("metadata").GetProperty("uid").GetString();

        var byUid = await api.GetAsync($"/entities/by-uid/{uid}");

        Assert.Equal(HttpStatusCode.OK, byUid.Status);
        Assert.Equal("bob", ApiResponse.Name(byUid.Json));
        Assert.Equal(uid, byUid.Json.GetProperty("metadata").GetProperty("uid").GetString());
    }

    [Fact]
    public async Task Filter_keys_and_values_compare_case_insensitively()
    {
        using var api = Api();

        var page = await api.GetAsync("/entities/by-query?filter=KIND=Component,spec.type=SERVICE&orderField=metadata.name");

        Assert.Equal(["payments-api", "search-indexer"], page.ItemNames());
    }

    [Fact]
    public async Task Repeated_filter_parameters_are_alternatives()
    {
        using var api = Api();

        var page = await api.GetAsync("/entities/by-query?filter=kind=domain&filter=kind=resource&orderField=metadata.name");

        Assert.Equal(["commerce", "payments-db", "payments-domain"], page.ItemNames());
    }

    [Fact]
    public async Task One_key_given_twice_in_a_filter_matches_either_value()
    {
        using var api = Api();

        var page = await api.GetAsync("/entities/by-query?filter=kind=api,kind=resource&orderField=metadata.name");

        Assert.Equal(["payments-db", "payments-rest", "search-api"], page.ItemNames());
    }

    [Fact]
    public async Task A_name_filter_matches_that_name_only()
    {
        using var api = Api();

        var page = await api.GetAsync("/entities/by-query?filter=metadata.name=Payments-API");

        Assert.Equal(["payments-api"], page.ItemNames());
        Assert.Equal(1, page.Json.GetProperty("totalItems").GetInt32());
    }

    [Fact]
    public async Task A_key_alone_matches_entities_that_have_it()
    {
        using var api = Api();

        var page = await api.GetAsync("/entities/by-query?filter=kind=component,spec.subcomponentOf");

        Assert.Equal(["ledger-lib"], page.ItemNames());
    }

    [Fact]
    public async Task Array_items_match_as_a_path_and_relations_by_their_target()
    {
        using var api = Api();

        var tagged = await api.GetAsync("/entities/by-query?filter=metadata.tags.dotnet");
        var owned = await api.GetAsync("/entities/by-query?filter=kind=component,relations.ownedby=group:default/payments-team&orderField=metadata.name");

        Assert.Equal(["payments-api"], tagged.ItemNames());
        Assert.Equal(["checkout-web", "payments-api"], owned.ItemNames());
    }

    [Fact]
    public async Task Fields_keep_only_the_named_parts_of_each_entity()
    {
        using var api = Api();

        var page = await api.GetAsync("/entities/by-query?filter=kind=user&fields=kind,metadata.name&orderField=metadata.name");

        Assert.Equal(
            ["""{"kind":"User","metadata":{"name":"alice"}}""", """{"kind":"User","metadata":{"name":"bob"}}""", """{"kind":"User","metadata":{"name":"carol"}}"""],
            page.Json.GetProperty("items").EnumerateArray().Select(item => item.GetRawText()));
    }

    [Fact]
    public async Task Relations_are_read_only_when_fields_keep_them()
    {
        using var api = Api();
        using var withoutRelations = new SqlRoundTrips();
        using var withRelations = new SqlRoundTrips();

        var names = await api.GetAsync("/entities/by-query?filter=kind=component&fields=metadata.name", withoutRelations.TraceParent);
        var related = await api.GetAsync("/entities/by-query?filter=metadata.name=payments-api&fields=metadata.name,relations", withRelations.TraceParent);

        Assert.Equal(["checkout-web", "ledger-lib", "payments-api", "search-indexer"], names.ItemNames().Order());
        Assert.Contains("catalog.entities", withoutRelations.ToString(), StringComparison.Ordinal); // the trace saw the query
        Assert.DoesNotContain("catalog.relations", withoutRelations.ToString(), StringComparison.Ordinal);
        var relations = Assert.Single(related.Json.GetProperty("items").EnumerateArray()).GetProperty("relations").EnumerateArray();
        Assert.Contains(relations, r => r.GetProperty("type").GetString() == "ownedBy" && r.GetProperty("targetRef").GetString() == "group:default/payments-team");
    }

    [Fact]
    public async Task Fields_reach_annotation_keys_that_contain_dots()
    {
        using var api = Api();

        var page = await api.GetAsync("/entities/by-query?filter=metadata.name=payments-api&fields=metadata.annotations.github.com/project-slug,metadata.uid");

        var item = Assert.Single(page.Json.GetProperty("items").EnumerateArray());
        var metadata = item.GetProperty("metadata");
        Assert.Equal("acme/payments-api", metadata.GetProperty("annotations").GetProperty("github.com/project-slug").GetString());
        Assert.True(Guid.TryParse(metadata.GetProperty("uid").GetString(), out _));
        Assert.Equal(["metadata"], item.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["annotations", "uid"], metadata.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task OrderField_sorts_descending_and_offset_skips()
    {
        using var api = Api();

        var descending = await api.GetAsync("/entities/by-query?filter=kind=user&orderField=metadata.name,desc");
        var skipped = await api.GetAsync("/entities/by-query?filter=kind=user&orderField=metadata.name,asc&offset=1&limit=1");

        Assert.Equal(["carol", "bob", "alice"], descending.ItemNames());
        Assert.Equal(["bob"], skipped.ItemNames());
        Assert.Equal(3, skipped.Json.GetProperty("totalItems").GetInt32());
    }

    [Fact]
    public async Task Full_text_search_is_a_case_insensitive_substring_of_the_named_fields()
    {
        using var api = Api();

        var defaults = await api.GetAsync("/entities/by-query?fullTextFilterTerm=CARD%20PAY&orderField=metadata.name");
        var byName = await api.GetAsync("/entities/by-query?fullTextFilterTerm=FRESH&fullTextFilterFields=metadata.name");
        var byDescription = await api.GetAsync("/entities/by-query?fullTextFilterTerm=FRESH&fullTextFilterFields=metadata.name,metadata.description");

        Assert.Equal(["payments-api", "payments-rest"], defaults.ItemNames());
        Assert.Empty(byName.ItemNames());
        Assert.Equal(["search-indexer"], byDescription.ItemNames());
    }

    [Fact]
    public async Task A_predicate_body_queries_with_all_any_not_in_exists_and_contains()
    {
        using var api = Api();

        var notProduction = await api.PostAsync("/entities/by-query", """
            {"query": {"$all": [{"kind": "component"}, {"$not": {"spec.lifecycle": "PRODUCTION"}}]},
             "orderBy": [{"field": "metadata.name", "order": "asc"}], "fields": ["metadata.name"]}
            """);
        var apisOrResources = await api.PostAsync("/entities/by-query", """
            {"query": {"kind": {"$in": ["API", "resource"]}, "spec.type": {"$exists": true}}, "orderField": ["metadata.name,desc"]}
            """);
        var ownedByPlatform = await api.PostAsync("/entities/by-query", """
            {"query": {"relations": {"$contains": {"type": "ownedBy", "targetRef": "group:default/platform"}}}}
            """);
        var tagged = await api.PostAsync("/entities/by-query", """{"query": {"metadata.tags": {"$contains": "React"}}}""");

        Assert.Equal(HttpStatusCode.OK, notProduction.Status);
        Assert.Equal(["ledger-lib", "search-indexer"], notProduction.ItemNames());
        Assert.Equal(2, notProduction.Json.GetProperty("totalItems").GetInt32());
        Assert.Equal(["search-api", "payments-rest", "payments-db"], apisOrResources.ItemNames());
        Assert.Equal(["payments-db"], ownedByPlatform.ItemNames());
        Assert.Equal(["checkout-web"], tagged.ItemNames());
    }

    [Fact]
    public async Task A_predicate_query_pages_with_its_cursor()
    {
        using var api = Api();
        var first = await api.PostAsync("/entities/by-query", """{"query": {"kind": "group"}, "limit": 3, "orderBy": [{"field": "metadata.name", "order": "asc"}]}""");
        var cursor = first.Json.GetProperty("pageInfo").GetProperty("nextCursor").GetString();

        var second = await api.PostAsync("/entities/by-query", JsonSerializer.Serialize(new { cursor, limit = 3 }));

        Assert.Equal(["acme", "payments-team", "platform"], first.ItemNames());
        Assert.Equal(["search-team"], second.ItemNames());
    }

    [Fact]
    public async Task By_refs_answers_in_the_order_asked_with_null_for_a_miss()
    {
        using var api = Api();

        var response = await api.PostAsync("/entities/by-refs",
            """{"entityRefs": ["user:default/bob", "component:default/nope", "Group:Default/Acme", "user:carol"], "fields": ["metadata.name"]}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(
            """{"items":[{"metadata":{"name":"bob"}},null,{"metadata":{"name":"acme"}},{"metadata":{"name":"carol"}}]}""",
            response.Json.GetRawText());
    }

    [Fact]
    public async Task Facets_count_values_over_the_filtered_entities()
    {
        using var api = Api();

        var response = await api.GetAsync("/entity-facets?facet=spec.lifecycle&facet=kind&filter=kind=component");
        var posted = await api.PostAsync("/entity-facets", """{"facets": ["spec.type"], "query": {"kind": "api"}}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(
            """{"facets":{"spec.lifecycle":[{"value":"experimental","count":2},{"value":"production","count":2}],"kind":[{"value":"Component","count":4}]}}""",
            response.Json.GetRawText());
        Assert.Equal("""{"facets":{"spec.type":[{"value":"grpc","count":1},{"value":"openapi","count":1}]}}""", posted.Json.GetRawText());
    }

    [Fact]
    public async Task Facet_values_are_listed_by_value_as_Backstage_lists_them_not_by_count()
    {
        using var api = Api();

        var response = await api.GetAsync("/entity-facets?facet=kind");

        // Backstage's SQL orders a facet's values by value: a client showing them in the order given shows them alike.
        var values = response.Json.GetProperty("facets").GetProperty("kind").EnumerateArray()
            .Select(v => (Value: v.GetProperty("value").GetString()!, Count: v.GetProperty("count").GetInt32())).ToList();
        Assert.Equal(values.Select(v => v.Value).Order(StringComparer.Ordinal), values.Select(v => v.Value));
        Assert.NotEqual(values.OrderByDescending(v => v.Count).ThenBy(v => v.Value, StringComparer.Ordinal), values);
    }

    [Fact]
    public async Task The_legacy_list_pages_with_a_Link_header_when_limited_and_returns_everything_otherwise()
    {
        using var api = Api();

        var first = await api.GetAsync("/entities?filter=kind=user&limit=2&order=asc:metadata.name&fields=metadata.name");
        var next = first.Headers.GetValues("Link").Single();
        var nextPath = next[(next.IndexOf('<', StringComparison.Ordinal) + 1)..next.IndexOf('>', StringComparison.Ordinal)];
        var second = await api.GetAsync(nextPath["/api/catalog".Length..]);
        var everything = await api.GetAsync("/entities");

        Assert.Equal(["alice", "bob"], first.Json.EnumerateArray().Select(ApiResponse.Name));
        Assert.EndsWith("; rel=\"next\"", next, StringComparison.Ordinal);
        Assert.Equal(["carol"], second.Json.EnumerateArray().Select(ApiResponse.Name));
        Assert.False(second.Headers.Contains("Link"));
        Assert.Equal(19, everything.Json.GetArrayLength());
    }

    [Fact]
    public async Task Locations_are_listed_fetched_and_found_from_their_entities()
    {
        using var api = Api();

        var list = await api.GetAsync("/locations");
        var data = Assert.Single(list.Json.EnumerateArray()).GetProperty("data");
        var id = data.GetProperty("id").GetString();
        var byId = await api.GetAsync($"/locations/{id}");
        var byEntity = await api.GetAsync("/locations/by-entity/component/default/ledger-lib");

        Assert.Equal("file", data.GetProperty("type").GetString());
        Assert.Equal(AcmeCatalogApp.CatalogInfo, data.GetProperty("target").GetString());
        Assert.Equal(data.GetRawText(), byId.Json.GetRawText());
        Assert.Equal(data.GetRawText(), byEntity.Json.GetRawText());
    }
}
