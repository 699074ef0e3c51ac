using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Catalog.Tests.Queries;

/// <summary>Filter keys, values, order fields, search fields and facet fields are data, never SQL.</summary>
public sealed class Refusing_hostile_query_input(AcmeCatalog app) : IClassFixture<AcmeCatalog>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    public static TheoryData<string> HostileText =>
    [
        "kind'; DROP TABLE catalog.entities; --",
        "metadata.name') OR ('1'='1",
        "spec.owner\" OR 1=1 --",
        "metadata.annotations.x'}]) OR TRUE; --",
        "metadata.labels.a\\\"b",
        "{spec,owner}",
        "$.spec.owner ? (@ == \"x\")",
        "relations.ownedBy' OR '1'='1",
        "metadata..name",
        "spec.\u0000owner",
        "spec.\ud800owner",
        "spec.owner\n--",
        "é.ü.😀",
    ];

    [Theory]
    [MemberData(nameof(HostileText))]
    public async Task Hostile_text_in_any_part_of_a_query_matches_nothing_or_is_a_clear_error_and_changes_nothing(string text)
    {
        var before = await CountAsync();
        var queries = new EntityQuery[]
        {
            new() { Filter = EntityFilter.Equal(text, text, "component") },
            new() { Filter = EntityFilter.Equal("kind", text) },
            new() { Filter = EntityFilter.Exists(text) },
            new() { Filter = new Negation(EntityFilter.Equal(text, "x")) },
            new() { Order = [new EntityOrder(text), new EntityOrder(text, Descending: true)] },
            new() { FullText = new FullTextFilter(text) },
            new() { FullText = new FullTextFilter("payments", [text]) },
            new() { Filter = EntityFilter.Equal("metadata.uid", text) },
        };

        foreach (var query in queries)
        {
            await SucceedsOrIsAClearErrorAsync(() => Queries.QueryAsync(query, Cancellation), text);
        }

        await SucceedsOrIsAClearErrorAsync(() => Queries.FacetsAsync([text], EntityFilter.Equal(text, text), Cancellation), text);
        await SucceedsOrIsAClearErrorAsync(() => Queries.GetAsync(text, Cancellation), text);
        await SucceedsOrIsAClearErrorAsync(() => Queries.GetManyAsync([text, "component:default/payments-api"], Cancellation), text);
        await SucceedsOrIsAClearErrorAsync(() => Queries.GraphAsync(text, GraphDirection.Dependencies, 3, Cancellation), text);
        await SucceedsOrIsAClearErrorAsync(() => Queries.HistoryAsync(text, 10, Cancellation), text);
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task A_filter_value_with_quotes_matches_only_that_literal_value()
    {
        var page = await Queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("kind", "component' OR '1'='1") }, Cancellation);

        Assert.Empty(page.Items);
        Assert.Equal(0, page.TotalCount);
    }

    [Fact]
    public async Task Text_the_database_cannot_hold_is_refused_naming_where_it_is()
    {
        var inKey = await Assert.ThrowsAsync<InvalidQueryException>(() =>
            Queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("spec.\u0000owner", "x") }, Cancellation));
        var inValue = await Assert.ThrowsAsync<InvalidQueryException>(() =>
            Queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("spec.owner", "team\u0000") }, Cancellation));
        var inOrder = await Assert.ThrowsAsync<InvalidQueryException>(() =>
            Queries.QueryAsync(new EntityQuery { Order = [new EntityOrder("metadata.\ud800title")] }, Cancellation));

        Assert.StartsWith("The filter key 'spec.?owner' contains a character", inKey.Message, StringComparison.Ordinal);
        Assert.StartsWith("A value of the filter key 'spec.owner' contains a character", inValue.Message, StringComparison.Ordinal);
        Assert.StartsWith("The field 'metadata.?title' contains a character", inOrder.Message, StringComparison.Ordinal);
        Assert.Null(await Queries.GetAsync("component:default/pay\u0000ments-api", Cancellation));
    }

    [Fact]
    public async Task A_forged_cursor_carrying_hostile_text_is_data_too()
    {
        var first = await Queries.QueryAsync(new EntityQuery { Limit = 2, Order = [new EntityOrder("metadata.title")] }, Cancellation);
        var state = System.Text.Json.Nodes.JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(first.NextCursor))!;
        state["keys"]![0] = "x' OR '1'='1";
        state["lastRef"] = "\u0000'; DROP TABLE catalog.entities; --";
        state["order"]![0]!["field"] = "metadata.title') --";
        var forged = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(state.ToJsonString()));

        await SucceedsOrIsAClearErrorAsync(() => Queries.QueryAsync(new EntityQuery { Cursor = forged }, Cancellation), forged);

        Assert.True(await CountAsync() > 0);
    }

    private async Task<int> CountAsync() => (await Queries.QueryAsync(new EntityQuery { Limit = 0 }, Cancellation)).TotalCount!.Value;

    private static async Task SucceedsOrIsAClearErrorAsync<T>(Func<Task<T>> call, string text)
    {
        try
        {
            await call();
        }
        catch (InvalidQueryException exception)
        {
            Assert.False(string.IsNullOrWhiteSpace(exception.Message), $"empty message for {text}");
        }
    }
}

/// <summary>The catalog holds every query to <see cref="CatalogLimits"/> itself, whichever surface (or cursor) it came from.</summary>
public sealed class Holding_queries_to_the_catalog_limits(AcmeCatalog app) : IClassFixture<AcmeCatalog>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    [Fact]
    public async Task More_order_fields_than_the_limit_are_refused_even_when_a_cursor_carries_them()
    {
        var tooMany = Enumerable.Range(0, CatalogLimits.MaxOrderFields + 1).Select(i => new EntityOrder($"spec.f{i}")).ToList();
        var atTheLimit = await Queries.QueryAsync(new EntityQuery { Order = tooMany[..CatalogLimits.MaxOrderFields], Limit = 1 }, Cancellation);

        var direct = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.QueryAsync(new EntityQuery { Order = tooMany }, Cancellation));

        Assert.Equal($"The order names {CatalogLimits.MaxOrderFields + 1} fields; at most {CatalogLimits.MaxOrderFields}.", direct.Message);
        Assert.NotNull(atTheLimit.NextCursor);
    }

    [Fact]
    public async Task A_search_term_longer_than_the_limit_is_refused_and_one_at_the_limit_runs()
    {
        var atTheLimit = await Queries.QueryAsync(new EntityQuery { FullText = new FullTextFilter(new string('x', CatalogLimits.MaxSearchLength)) }, Cancellation);

        var tooLong = await Assert.ThrowsAsync<InvalidQueryException>(() =>
            Queries.QueryAsync(new EntityQuery { FullText = new FullTextFilter(new string('x', CatalogLimits.MaxSearchLength + 1)) }, Cancellation));

        Assert.Empty(atTheLimit.Items);
        Assert.Equal($"The search term is {CatalogLimits.MaxSearchLength + 1} characters; at most {CatalogLimits.MaxSearchLength}.", tooLong.Message);
    }

    [Fact]
    public async Task More_filter_values_than_the_limit_are_refused_before_the_database_and_the_limit_itself_runs()
    {
        var atTheLimit = Enumerable.Range(0, CatalogLimits.MaxFilterValues).Select(i => $"type-{i}").ToArray();
        var spread = EntityFilter.Any(EntityFilter.Equal("spec.type", atTheLimit[..600]), EntityFilter.Equal("metadata.tags", [.. atTheLimit[600..], "one-more"]));

        var page = await Queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("spec.type", [.. atTheLimit[1..], "service"]) }, Cancellation);
        var tooMany = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.QueryAsync(new EntityQuery { Filter = spread }, Cancellation));
        var postgresLimit = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.QueryAsync(
            new EntityQuery { Filter = EntityFilter.Equal("spec.owner", [.. Enumerable.Range(0, 100_000).Select(i => $"team-{i}")]) }, Cancellation));

        Assert.True(page.TotalCount > 0);
        Assert.StartsWith($"The filter compares with more than {CatalogLimits.MaxFilterValues} values in all (the key '", tooMany.Message, StringComparison.Ordinal);
        Assert.StartsWith($"The filter compares with more than {CatalogLimits.MaxFilterValues} values", postgresLimit.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_filter_deeper_than_the_limit_is_refused_before_anything_walks_it_even_for_facets()
    {
        EntityFilter deep = EntityFilter.Equal("kind", "component");
        for (var i = 0; i < 100_000; i++)
        {
            deep = new Negation(deep);
        }

        var query = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.QueryAsync(new EntityQuery { Filter = deep }, Cancellation));
        var facets = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.FacetsAsync(["kind"], deep, Cancellation));
        var subscription = Assert.Throws<InvalidQueryException>(() => ChangeMatcher.Validate(deep));

        Assert.All(new[] { query, facets, subscription }, e => Assert.Equal($"The filter nests deeper than {CatalogLimits.MaxFilterDepth} levels.", e.Message));
    }

    [Theory]
    [InlineData("key", "A filter key 'xxxxxxxx")]
    [InlineData("value", "A value of the filter key 'spec.type' is 1025 characters; at most 1024.")]
    [InlineData("order", "An order field 'xxxxxxxx")]
    [InlineData("search field", "A search field 'xxxxxxxx")]
    public async Task A_path_or_value_longer_than_the_limit_is_refused_naming_it(string part, string message)
    {
        var path = new string('x', CatalogLimits.MaxFieldPathLength + 1);
        var query = part switch
        {
            "key" => new EntityQuery { Filter = EntityFilter.Exists(path) },
            "value" => new EntityQuery { Filter = EntityFilter.Equal("spec.type", new string('v', CatalogLimits.MaxFilterValueLength + 1)) },
            "order" => new EntityQuery { Order = [new EntityOrder(path)] },
            _ => new EntityQuery { FullText = new FullTextFilter("x", [path]) },
        };

        var refused = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.QueryAsync(query, Cancellation));

        Assert.StartsWith(message, refused.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> CraftedCursors => new()
    {
        { "300 order fields", $"The order names 300 fields; at most {CatalogLimits.MaxOrderFields}." },
        { "2,000 values", $"The filter compares with more than {CatalogLimits.MaxFilterValues} values in all" },
        { "201 conditions", $"A filter may hold at most {CatalogLimits.MaxFilterConditions} conditions." },
        { "a filter 30 levels deep", $"The filter nests deeper than {CatalogLimits.MaxFilterDepth} levels." },
        { "a long order field", $"An order field 'xxx" },
        { "200 search fields", $"The search names 200 fields; at most {CatalogLimits.MaxSearchFields}." },
        { "a long search term", $"The search term is 300 characters; at most {CatalogLimits.MaxSearchLength}." },
        { "an all-of without its list", "The filter holds an all-of or any-of without its list." },
        { "a condition without a key", "A filter key is missing." },
        { "a null value", "A value of the filter key 'kind' is missing." },
    };

    [Theory]
    [MemberData(nameof(CraftedCursors))]
    public async Task A_crafted_cursor_is_held_to_the_limits_of_a_fresh_request_and_refused_as_malformed(string crafted, string reason)
    {
        var cursor = CraftedCursor.For(crafted);

        var refused = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.QueryAsync(new EntityQuery { Cursor = cursor }, Cancellation));

        Assert.StartsWith("The cursor is malformed; pass back the nextCursor of a previous page unchanged. It asks for more than a request may: ", refused.Message, StringComparison.Ordinal);
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keys of numbers")]
    [InlineData("keys that do not match the order")]
    [InlineData("a last ref longer than any ref")]
    [InlineData("JSON nested past any filter")]
    [InlineData("a cursor longer than the limit")]
    public async Task A_cursor_of_the_wrong_shape_is_refused_as_malformed(string crafted)
    {
        var cursor = CraftedCursor.For(crafted);

        var refused = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.QueryAsync(new EntityQuery { Cursor = cursor }, Cancellation));

        Assert.StartsWith("The cursor is malformed; pass back the nextCursor of a previous page unchanged.", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cursor_of_a_query_at_every_limit_still_pages()
    {
        EntityFilter deep = EntityFilter.Any(EntityFilter.Equal("kind", "component", "api"), EntityFilter.Equal("spec.type", "service"));
        for (var depth = 1; depth < CatalogLimits.MaxFilterDepth; depth++)
        {
            deep = EntityFilter.All(deep);
        }

        var first = await Queries.QueryAsync(new EntityQuery
        {
            Filter = deep,
            Order = [.. Enumerable.Range(0, CatalogLimits.MaxOrderFields - 1).Select(i => new EntityOrder($"spec.f{i}")), new EntityOrder("metadata.name")],
            FullText = new FullTextFilter("a", [.. Enumerable.Range(0, 20).Select(i => "metadata.name")]),
            Limit = 1,
        }, Cancellation);

        var second = await Queries.QueryAsync(new EntityQuery { Cursor = first.NextCursor, Limit = 1 }, Cancellation);

        Assert.NotEqual(first.Items[0].Ref, second.Items[0].Ref);
    }

    [Theory]
    [InlineData("team-a", "group:default/team-a")]
    [InlineData("group:ops/team-b", "group:ops/team-b")]
    [InlineData("user:ada", "user:default/ada")]
    public void An_owner_written_short_gets_the_owners_default_kind_as_in_descriptors(string written, string canonical)
    {
        var filter = EntityFilter.OwnedBy([written], "filter.owner");

        Assert.Equal(new Condition("relations.ownedBy", [canonical]), filter, new ConditionComparer());
    }

    [Theory]
    [InlineData("", "filter.owner: an entity reference must not be empty")]
    [InlineData("group:te\u0001am", "filter.owner: 'group:te?am' contains a control character")]
    public void A_bad_owner_is_refused_naming_where_it_was_written(string written, string message)
    {
        var refused = Assert.Throws<InvalidQueryException>(() => EntityFilter.OwnedBy([written], "filter.owner"));

        Assert.Equal(message, refused.Message);
    }

    [Fact]
    public void A_ref_longer_than_the_limit_is_refused_before_it_is_parsed()
    {
        var ok = EntityRef.TryParseRequested("component:" + new string('a', CatalogLimits.MaxRefLength + 1), null, out _, out var error);

        Assert.False(ok);
        Assert.Equal($"the entity ref is longer than {CatalogLimits.MaxRefLength} characters", error);
    }

    private sealed class ConditionComparer : IEqualityComparer<EntityFilter>
    {
        public bool Equals(EntityFilter? x, EntityFilter? y) =>
            x is Condition a && y is Condition b && a.Key == b.Key && (a.Values ?? []).SequenceEqual(b.Values ?? []);

        public int GetHashCode(EntityFilter obj) => 0;
    }
}
