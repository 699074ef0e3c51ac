using System.Net;
using Portal.Catalog;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>One request the API must refuse by its shape alone, and the error a client must see.</summary>
internal sealed record BadRequest(string Method, string Path, string? Body, HttpStatusCode Status, string Name, string Message)
{
    public string ContentType { get; init; } = "application/json";

    public Task<ApiResponse> SendAsync(CatalogApiClient api) => Method == "GET"
        ? api.GetAsync(Path)
        : api.PostAsync(Path, Body!, ContentType);
}

/// <summary>
/// Requests that are wrong in themselves, whatever the catalog holds: each is answered from the request alone, with
/// Backstage's error body naming what is wrong and where.
/// </summary>
internal static class BadRequests
{
    private const HttpStatusCode Invalid = HttpStatusCode.BadRequest;

    public static readonly IReadOnlyDictionary<string, BadRequest> Cases = new Dictionary<string, BadRequest>
    {
        ["filter statement without a key"] = Get("/entities/by-query?filter=kind=component,=service", "'=service' is not a valid statement"),
        ["filter key with an empty segment"] = Get("/entities/by-query?filter=spec..type=service", "'spec..type' has an empty segment"),
        ["filter key with a space"] = Get("/entities/by-query?filter=spec.%20type=service", "contains a space"),
        ["filter with too many conditions"] = Get("/entities/by-query?filter=" + string.Join(',', Enumerable.Range(0, CatalogLimits.MaxFilterConditions + 1).Select(i => $"k{i}=v")), $"more than {CatalogLimits.MaxFilterConditions} conditions"),
        ["orderField with an unknown direction"] = Get("/entities/by-query?orderField=metadata.name,up", "must be asc or desc"),
        ["orderField with three parts"] = Get("/entities/by-query?orderField=metadata.name,asc,1", "expected <field>,asc or <field>,desc"),
        ["limit that is not an integer"] = Get("/entities/by-query?limit=ten", "Invalid limit, 'ten' is not an integer"),
        ["negative limit"] = Get("/entities/by-query?limit=-1", "Invalid limit, must be zero or greater"),
        ["offset that is not an integer"] = Get("/entities/by-query?offset=1.5", "Invalid offset, '1.5' is not an integer"),
        ["limit given twice"] = Get("/entities/by-query?limit=1&limit=2", "Invalid limit, given 2 times"),
        ["malformed cursor"] = Get("/entities/by-query?cursor=not-a-cursor!", "cursor is malformed"),
        ["array field in fields"] = Get("/entities/by-query?fields=relations[0]", "array type fields are not supported"),
        ["full-text term too long"] = Get("/entities/by-query?fullTextFilterTerm=" + new string('x', 300), "longer than 256 characters"),
        ["facets without a facet"] = Get("/entity-facets", "Missing facet parameter"),
        ["facets with too many facets"] = Get("/entity-facets?" + string.Join('&', Enumerable.Range(0, 21).Select(i => $"facet=f{i}")), "at most 20 facets"),
        ["facets with a malformed filter"] = Get("/entity-facets?facet=kind&filter=,=x", "'=x' is not a valid statement"),
        ["legacy order without a direction"] = Get("/entities?order=up:metadata.name", "Invalid order parameter \"up:metadata.name\""),
        ["legacy limit of zero"] = Get("/entities?limit=0", "must be greater than zero"),
        ["by-name with a colon in the kind"] = Get("/entities/by-name/comp:onent/default/x", "cannot contain ':'"),

        ["by-refs with a ref without kind"] = Post("/entities/by-refs", """{"entityRefs": ["component:default/a", "payments-api"]}""", "entityRefs[1]: \"payments-api\" has no kind"),
        ["by-refs with an empty ref part"] = Post("/entities/by-refs", """{"entityRefs": ["component:/x"]}""", "is not an entity reference"),
        ["by-refs without an array"] = Post("/entities/by-refs", """{"entityRefs": "component:default/a"}""", "'entityRefs' is required"),
        ["by-refs with a number"] = Post("/entities/by-refs", """{"entityRefs": [1]}""", "entityRefs[0]: expected a string"),
        ["refresh of a ref without kind"] = Post("/refresh", """{"entityRef": "payments-api"}""", "Invalid entityRef: \"payments-api\" has no kind"),
        ["refresh without a ref"] = Post("/refresh", "{}", "'entityRef' is required"),
        ["predicate $all that is not an array"] = Post("/entities/by-query", """{"query": {"$all": {}}}""", "query.$all: expected an array of predicates"),
        ["predicate with a null value"] = Post("/entities/by-query", """{"query": {"kind": null}}""", "query.kind: expected a string, number or boolean"),
        ["predicate with prefix matching"] = Post("/entities/by-query", """{"query": {"metadata.name": {"$hasPrefix": "pay"}}}""", "prefix matching is not supported"),
        ["predicate mixing an operator with keys"] = Post("/entities/by-query", """{"query": {"kind": "component", "$any": []}}""", "must be the only key of its object"),
        ["predicate with an unknown operator"] = Post("/entities/by-query", """{"query": {"$nor": []}}""", "unknown operator $nor"),
        ["predicate nested too deep"] = Post("/entities/by-query", """{"query": """ + string.Concat(Enumerable.Repeat("""{"$not": """, 20)) + """{"kind": "x"}""" + new string('}', 20) + "}", "deeper than 12 levels"),
        ["orderBy with an unknown direction"] = Post("/entities/by-query", """{"orderBy": [{"field": "metadata.name", "order": "up"}]}""", "must be asc or desc"),
        ["negative limit in a body"] = Post("/entities/by-query", """{"limit": -1}""", "Invalid limit, must be zero or greater"),
        ["limit as a string in a body"] = Post("/entities/by-query", """{"limit": "10"}""", "Invalid limit: expected an integer"),
        ["empty cursor in a body"] = Post("/entities/by-query", """{"cursor": ""}""", "must not be empty"),
        ["malformed cursor in a body"] = Post("/entities/by-query", """{"cursor": "garbage"}""", "cursor is malformed"),
        ["malformed JSON"] = Post("/entities/by-query", """{"query": """, "not valid JSON"),
        ["a body that is not an object"] = Post("/entities/by-refs", "[1]", "must be a JSON object"),
        ["a location without a target"] = Post("/locations", """{"type": "file"}""", "'target' is required"),
        ["a dryRun that is not a boolean"] = Post("/locations?dryRun=maybe", """{"type": "file", "target": "/tmp/x.yaml"}""", "Invalid dryRun 'maybe'"),
        ["a body that is not JSON"] = Post("/entities/by-refs", "entityRefs=a", "must be application/json") with
        {
            ContentType = "text/plain",
            Status = HttpStatusCode.UnsupportedMediaType,
            Name = "UnsupportedMediaTypeError",
        },
        ["a body over the size limit"] = Post("/entities/by-refs", """{"entityRefs": [""" + string.Join(',', Enumerable.Repeat("\"component:default/padding-entity-name\"", 30_000)) + "]}", "larger than 1048576 bytes") with
        {
            Status = HttpStatusCode.RequestEntityTooLarge,
            Name = "PayloadTooLargeError",
        },
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    private static BadRequest Get(string path, string message) => new("GET", path, null, Invalid, "InputError", message);

    private static BadRequest Post(string path, string body, string message) => new("POST", path, body, Invalid, "InputError", message);
}
