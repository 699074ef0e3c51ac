using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;

namespace Portal.Catalog.Tests.Queries;

/// <summary>
/// Cursors as a client could write them: base64url of the JSON the catalog puts in its own cursors (filter, search,
/// order, the last page's sort keys and ref), with whatever a client likes in it.
/// </summary>
internal static class CraftedCursor
{
    public static string For(string crafted) => crafted switch
    {
        "300 order fields" => Encode(State(orderFields: 300)),
        "2,000 values" => Encode(State(filter: Condition("kind", Enumerable.Repeat("a", 2_000)))),
        "201 conditions" => Encode(State(filter: Combined("all", Enumerable.Range(0, 201).Select(_ => Condition("kind", null))))),
        "a filter 30 levels deep" => Encode(State(filter: Negated(30))),
        "JSON nested past any filter" => Encode(State(filter: Negated(60))),
        "a long order field" => Encode(State(orderField: new string('x', 300))),
        "200 search fields" => Encode(State(fullText: new JsonObject { ["term"] = "a", ["fields"] = Strings(Enumerable.Repeat("metadata.name", 200)) })),
        "a long search term" => Encode(State(fullText: new JsonObject { ["term"] = new string('a', 300) })),
        "an all-of without its list" => Encode(State(filter: new JsonObject { ["$t"] = "all" })),
        "a condition without a key" => Encode(State(filter: new JsonObject { ["$t"] = "eq", ["values"] = Strings(["a"]) })),
        "a null value" => Encode(State(filter: new JsonObject { ["$t"] = "eq", ["key"] = "kind", ["values"] = new JsonArray((JsonNode?)null) })),
        "keys of numbers" => Encode(State(keys: new JsonArray(1))),
        "keys that do not match the order" => Encode(State(orderFields: 2, keys: Strings(["a"]))),
        "a last ref longer than any ref" => Encode(State(lastRef: "component:default/" + new string('a', 600))),
        "a cursor longer than the limit" => new string('A', CatalogLimits.MaxCursorLength + 1),
        _ => throw new ArgumentOutOfRangeException(nameof(crafted), crafted, "no such crafted cursor"),
    };

    public static string Encode(JsonObject state) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(state.ToJsonString()));

    public static JsonObject State(
        JsonNode? filter = null, JsonNode? fullText = null, int orderFields = 1, string? orderField = null, JsonArray? keys = null,
        string lastRef = "component:default/a") => new()
        {
            ["filter"] = filter,
            ["fullText"] = fullText,
            ["order"] = new JsonArray([.. Enumerable.Range(0, orderFields).Select(i => (JsonNode?)new JsonObject { ["field"] = orderField ?? $"f{i}" })]),
            ["keys"] = keys ?? Strings(Enumerable.Repeat("a", orderFields)),
            ["lastRef"] = lastRef,
        };

    public static JsonObject Condition(string key, IEnumerable<string>? values) =>
        new() { ["$t"] = "eq", ["key"] = key, ["values"] = values is null ? null : Strings(values) };

    private static JsonObject Combined(string type, IEnumerable<JsonNode> filters) =>
        new() { ["$t"] = type, ["filters"] = new JsonArray([.. filters]) };

    private static JsonObject Negated(int levels)
    {
        var filter = Condition("kind", ["component"]);
        for (var i = 0; i < levels; i++)
        {
            filter = new JsonObject { ["$t"] = "not", ["filter"] = filter };
        }

        return filter;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);
}
