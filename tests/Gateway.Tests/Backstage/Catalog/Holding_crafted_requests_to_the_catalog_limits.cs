using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Catalog;
using Portal.Gateway.Tests.GraphQL;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>
/// What a client sees, on both surfaces, when it writes its own cursor or sends more filter values than a request may:
/// a 400 (REST) or a VALIDATION_FAILED error (GraphQL) naming what is wrong, before the database is asked.
/// </summary>
public sealed class Holding_crafted_requests_to_the_catalog_limits(AcmePortal portal) : IClassFixture<AcmePortal>
{
    private const string Malformed = "The cursor is malformed; pass back the nextCursor of a previous page unchanged.";

    private static readonly string[] Java = ["java"];

    private const string PageQuery = "query Page($after: String) { entities(first: 5, after: $after) { nodes { ref } } }";

    [Fact]
    public async Task A_cursor_carrying_300_order_fields_is_a_400_over_REST_and_a_validation_error_over_GraphQL()
    {
        var cursor = Cursor(orderFields: 300);
        using var api = new CatalogApiClient(portal.CreateClient());
        using var graph = portal.Graph();

        var rest = await api.GetAsync("/entities/by-query?limit=5&cursor=" + Uri.EscapeDataString(cursor));
        var graphQL = await graph.PostAsync(PageQuery, new { after = cursor });

        var message = CatalogApiClient.AssertError(rest, HttpStatusCode.BadRequest, "InputError", Malformed);
        Assert.Contains($"The order names 300 fields; at most {CatalogLimits.MaxOrderFields}.", message, StringComparison.Ordinal);
        Assert.Equal(message, (string?)graphQL.Error("VALIDATION_FAILED")["message"]);
    }

    [Fact]
    public async Task A_cursor_carrying_a_huge_filter_is_refused_in_a_predicate_body_and_over_GraphQL()
    {
        var cursor = Cursor(filter: new JsonObject { ["$t"] = "eq", ["key"] = "kind", ["values"] = Strings(Enumerable.Repeat("a", 2_000)) });
        using var api = new CatalogApiClient(portal.CreateClient());
        using var graph = portal.Graph();

        var rest = await api.PostAsync("/entities/by-query", JsonSerializer.Serialize(new { cursor, limit = 5 }));
        var graphQL = await graph.PostAsync(PageQuery, new { after = cursor });

        var message = CatalogApiClient.AssertError(rest, HttpStatusCode.BadRequest, "InputError", Malformed);
        Assert.Contains($"The filter compares with more than {CatalogLimits.MaxFilterValues} values in all", message, StringComparison.Ordinal);
        Assert.StartsWith(Malformed, (string?)graphQL.Error("VALIDATION_FAILED")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_whose_keys_are_not_strings_is_malformed_on_both_surfaces()
    {
        var state = State(orderFields: 1);
        state["keys"] = new JsonArray(1, true);
        var cursor = Encode(state);
        using var api = new CatalogApiClient(portal.CreateClient());
        using var graph = portal.Graph();

        var rest = await api.GetAsync("/entities/by-query?cursor=" + Uri.EscapeDataString(cursor));
        var graphQL = await graph.PostAsync(PageQuery, new { after = cursor });

        Assert.Equal(Malformed, CatalogApiClient.AssertError(rest, HttpStatusCode.BadRequest, "InputError", Malformed));
        Assert.Equal(Malformed, (string?)graphQL.Error("VALIDATION_FAILED")["message"]);
    }

    [Fact]
    public async Task An_in_list_past_the_value_limit_is_a_400_naming_where_it_is()
    {
        using var api = new CatalogApiClient(portal.CreateClient());
        var values = Enumerable.Range(0, CatalogLimits.MaxFilterValues + 1).Select(i => $"type-{i}").ToList();

        var tooMany = await api.PostAsync("/entities/by-query", JsonSerializer.Serialize(new { query = new Dictionary<string, object> { ["spec.type"] = new Dictionary<string, object> { ["$in"] = values } } }));
        var atTheLimit = await api.PostAsync("/entities/by-query", JsonSerializer.Serialize(new { query = new Dictionary<string, object> { ["spec.type"] = new Dictionary<string, object> { ["$in"] = values[1..] } } }));

        CatalogApiClient.AssertError(tooMany, HttpStatusCode.BadRequest, "InputError",
            $"Invalid query.spec.type.$in: the query compares with more than {CatalogLimits.MaxFilterValues} values in all");
        Assert.Equal(HttpStatusCode.OK, atTheLimit.Status);
    }

    [Fact]
    public async Task Values_spread_over_a_REST_predicate_count_together()
    {
        using var api = new CatalogApiClient(portal.CreateClient());
        var half = Enumerable.Range(0, (CatalogLimits.MaxFilterValues / 2) + 1).Select(i => $"v-{i}").ToList();
        var body = JsonSerializer.Serialize(new
        {
            query = new Dictionary<string, object>
            {
                ["$any"] = new object[]
                {
                    new Dictionary<string, object> { ["spec.type"] = new Dictionary<string, object> { ["$in"] = half } },
                    new Dictionary<string, object> { ["metadata.tags"] = new Dictionary<string, object> { ["$in"] = half } },
                },
            },
        });

        var response = await api.PostAsync("/entities/by-query", body);

        CatalogApiClient.AssertError(response, HttpStatusCode.BadRequest, "InputError",
            $"Invalid query.$any[1].metadata.tags.$in: the query compares with more than {CatalogLimits.MaxFilterValues} values in all");
    }

    [Fact]
    public async Task GraphQL_filter_lists_past_the_value_limit_are_a_validation_error_naming_the_list()
    {
        using var graph = portal.Graph();
        var kinds = Enumerable.Range(0, CatalogLimits.MaxFilterValues).Select(i => $"kind-{i}").ToList();
        const string Query = "query Page($filter: [EntityFilterInput!]) { entities(filter: $filter, first: 5) { totalCount } }";

        var tooMany = await graph.PostAsync(Query, new { filter = new object[] { new { kind = kinds }, new { tags = Java } } });
        var atTheLimit = await graph.PostAsync(Query, new { filter = new object[] { new { kind = kinds } } });

        Assert.Equal(
            $"filter.tags brings the filter to more than {CatalogLimits.MaxFilterValues} values in all (every list of every filter counts)",
            (string?)tooMany.Error("VALIDATION_FAILED")["message"]);
        Assert.Equal(0, (int)atTheLimit.Ok()["entities"]!["totalCount"]!);
    }

    private static string Cursor(int orderFields = 1, JsonNode? filter = null) => Encode(State(orderFields, filter));

    private static JsonObject State(int orderFields, JsonNode? filter = null) => new()
    {
        ["filter"] = filter,
        ["order"] = new JsonArray([.. Enumerable.Range(0, orderFields).Select(i => (JsonNode?)new JsonObject { ["field"] = $"f{i}" })]),
        ["keys"] = Strings(Enumerable.Repeat("", orderFields)),
        ["lastRef"] = "component:default/a",
    };

    private static string Encode(JsonObject state) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(state.ToJsonString()));

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);
}
