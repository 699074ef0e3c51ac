using System.Net;
using System.Text;
using Portal.Gateway.GraphQL.Execution;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>
/// Documents whose validation would cost far more than their size (fragments that spread each other, repeated
/// directives) are refused before the specification's rules run, naming the limit; such a document is never cached.
/// </summary>
public sealed class Bounding_validation(PortalApp portal) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task More_fragments_than_the_limit_are_refused_naming_it()
    {
        var fragments = Enumerable.Range(0, 101).ToList();
        var query = "{ " + string.Join(" ", fragments.Select(i => $"...F{i}")) + " } "
            + string.Join(" ", fragments.Select(i => $"fragment F{i} on Query {{ version }}"));

        var response = await RefusedAsync(query);

        Assert.Contains("more than 100 fragments (Graph:MaxFragments)", (string?)response.Error("TOO_MANY_FRAGMENTS")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_operations_than_the_limit_are_refused_naming_it()
    {
        // Each operation walks its fragments again: 21 operations spreading one fragment are refused before any rule.
        var query = string.Concat(Enumerable.Range(0, 21).Select(i => $"query q{i} {{ ...F }} ")) + "fragment F on Query { version }";
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync(query, operationName: "q0");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);

        Assert.Contains("more than 20 operations (Graph:MaxOperations)", (string?)response.Error("TOO_MANY_OPERATIONS")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_operation_declaring_more_variables_than_the_limit_is_refused_naming_it()
    {
        // Unused variables are reported one error each, with a scan of the text for its position: 3.4 s of CPU for 250 KB.
        var query = "query(" + string.Join(" ", Enumerable.Range(0, 101).Select(i => $"$v{i}: Int")) + ") { version }";

        var response = await RefusedAsync(query);

        Assert.Contains("declares 101 variables; at most 100 (Graph:MaxVariables)", (string?)response.Error("TOO_MANY_VARIABLES")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_of_spreads_deeper_than_the_limit_is_refused_naming_it()
    {
        var response = await RefusedAsync(Chain(11));

        Assert.Contains("nests fragment spreads 11 deep; at most 10 (Graph:MaxFragmentDepth)",
            (string?)response.Error("FRAGMENT_TOO_DEEP")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chain_of_spreads_within_the_limit_answers()
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync(Chain(10));

        Assert.NotNull(response.Ok()["version"]);
    }

    [Fact]
    public async Task A_document_of_fragments_within_the_limits_is_cached_and_answers_from_the_cache()
    {
        using var graph = new GraphClient(portal.CreateClient());
        var chain = Chain(10);

        var first = await graph.PostAsync(chain);
        var cached = portal.Get<GraphQLDocumentCache>().Find(GraphQLTransport.HttpPost, null, chain);
        var second = await graph.PostAsync(chain);

        Assert.NotNull(cached);
        Assert.Equal(first.Text, second.Text);
        Assert.NotNull(second.Ok()["version"]);
    }

    [Fact]
    public async Task A_74_KB_chain_of_spreads_is_refused_and_the_server_answers_the_next_request()
    {
        // Once, a chain like this overflowed the stack in validation, and the process ended.
        var chain = Chain(2_000);
        Assert.True(chain.Length > 74 * 1024, $"the chain is {chain.Length} characters");
        using var graph = new GraphClient(portal.CreateClient());

        var refused = await graph.PostAsync(chain);
        var next = await graph.PostAsync("{ version }");

        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        refused.Error("TOO_MANY_FRAGMENTS");
        Assert.NotNull(next.Ok()["version"]);
    }

    [Fact]
    public async Task Fragments_that_select_too_many_fields_once_expanded_are_refused()
    {
        // A few hundred characters select 16,000 fields: each fragment spreads the one below it twenty times.
        var twenty = (string name) => string.Join(" ", Enumerable.Repeat("..." + name, 20));
        var query = "{ ...F3 ...F3 } fragment F0 on Query { version } "
            + $"fragment F1 on Query {{ {twenty("F0")} }} fragment F2 on Query {{ {twenty("F1")} }} fragment F3 on Query {{ {twenty("F2")} }}";

        var response = await RefusedAsync(query);

        Assert.Contains("The operation selects more than 5000 fields once its fragment spreads are expanded (Graph:MaxExpandedFields)",
            (string?)response.Error("TOO_MANY_EXPANDED_FIELDS")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_named_alike_beyond_the_pairs_limit_are_refused_before_they_are_compared()
    {
        // 100 fields named alike are 4,950 pairs, and their sub-selections merged as many again; each pair would be
        // compared with both fields' arguments printed.
        var response = await RefusedAsync("{ " + string.Join(" ", Enumerable.Range(0, 100).Select(i => $"entity(ref: \"{i}\") {{ ref }}")) + " }");

        Assert.Contains("The operation selects more than 5000 pairs of fields under one response name",
            (string?)response.Error("TOO_MANY_OVERLAPPING_FIELDS")["message"], StringComparison.Ordinal);
        Assert.Contains("(Graph:MaxOverlappingFieldPairs)", (string?)response.Errors[0]!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_input_values_than_the_limit_are_refused_and_the_same_values_pass_as_variables()
    {
        var refs = Enumerable.Range(0, 2_001).Select(i => $"component:c{i}").ToList();
        using var graph = new GraphClient(portal.CreateClient());

        var literal = await RefusedAsync("{ entitiesByRefs(refs: [" + string.Join(", ", refs.Select(r => $"\"{r}\"")) + "]) { ref } }");
        var variables = await graph.PostAsync("query($refs: [String!]!) { entitiesByRefs(refs: $refs) { ref } }", new { refs });

        Assert.Equal("The document writes more than 2000 input values (Graph:MaxInputValues); pass large inputs as variables.",
            (string?)literal.Error("TOO_MANY_INPUT_VALUES")["message"]);
        Assert.Equal(2_001, variables.Ok()["entitiesByRefs"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_cycle_of_fragment_spreads_is_refused_as_the_specification_says()
    {
        var cycle = "{ ...F0 } " + string.Join(" ", Enumerable.Range(0, 50).Select(i => $"fragment F{i} on Query {{ version ...F{(i + 1) % 50} }}"));

        var response = await RefusedAsync(cycle);

        Assert.Equal("Cannot spread fragment 'F0' within itself via " + string.Join(", ", Enumerable.Range(1, 49).Select(i => $"F{i}")) + ".",
            (string?)response.Error("NO_FRAGMENT_CYCLES")["message"]);
    }

    [Fact]
    public async Task More_directives_on_one_field_than_the_limit_are_refused_naming_it()
    {
        var response = await RefusedAsync("{ version " + string.Join(" ", Enumerable.Repeat("@include(if: true)", 11)) + " }");

        Assert.Equal("The field 'version' carries 11 directives; at most 10 (Graph:MaxDirectivesPerLocation).",
            (string?)response.Error("TOO_MANY_DIRECTIVES")["message"]);
    }

    [Fact]
    public async Task Ten_thousand_repeated_directives_answer_one_short_error()
    {
        var query = "{ version " + string.Join(" ", Enumerable.Repeat("@skip(if: false)", 10_000)) + " }";

        var response = await RefusedAsync(query);

        Assert.Single(response.Errors);
        Assert.True(response.Text.Length < 1024, $"the answer is {response.Text.Length} characters");
    }

    [Fact]
    public async Task The_limits_on_fields_and_aliases_name_their_settings()
    {
        var fields = await RefusedAsync("{ " + string.Join(" ", Enumerable.Repeat("version", 1001)) + " }");
        var aliases = await RefusedAsync("{ " + string.Join(" ", Enumerable.Range(0, 51).Select(i => $"v{i}: version")) + " }");

        Assert.Contains("more than 1000 fields (Graph:MaxFields)", (string?)fields.Error("TOO_MANY_FIELDS")["message"], StringComparison.Ordinal);
        Assert.Contains("more than 50 aliases (Graph:MaxAliases)", (string?)aliases.Error("TOO_MANY_ALIASES")["message"], StringComparison.Ordinal);
    }

    /// <summary>An operation that spreads F0, which spreads F1, and so on: <paramref name="depth"/> spreads deep.</summary>
    internal static string Chain(int depth)
    {
        var text = new StringBuilder("{ ...F0 }");
        for (var i = 0; i < depth - 1; i++)
        {
            text.Append($" fragment F{i} on Query {{ __typename ...F{i + 1} }}");
        }

        return text.Append($" fragment F{depth - 1} on Query {{ version }}").ToString();
    }

    private async Task<GraphResponse> RefusedAsync(string query)
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync(query);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Null(response.Json["data"]);
        Assert.Null(portal.Get<GraphQLDocumentCache>().Find(GraphQLTransport.HttpPost, null, query));
        return response;
    }
}

/// <summary>The operation's time limit (<c>Graph:ExecutionTimeout</c>) covers validation, not only the resolvers.</summary>
public sealed class Timing_validation_out(Timing_out.ImpatientPortal portal) : IClassFixture<Timing_out.ImpatientPortal>
{
    [Fact]
    public async Task A_document_whose_validation_outlasts_the_time_limit_ends_with_a_504_and_a_TIMEOUT_error()
    {
        // Within every limit, but 600 filters are thousands of nodes for every rule to visit: far over a millisecond.
        // The unknown field at the end means the document would never execute.
        using var graph = new GraphClient(portal.CreateClient());
        var filters = string.Join(", ", Enumerable.Range(0, 600).Select(i => $"{{ kind: [\"k{i}\"] }}"));

        var response = await graph.PostAsync("{ entities(filter: [" + filters + "]) { totalCount } noSuchField }");

        Assert.True(response.Status == HttpStatusCode.GatewayTimeout, response.Text);
        Assert.Equal("TIMEOUT", (string?)response.Errors[0]!["extensions"]!["code"]);
    }
}
