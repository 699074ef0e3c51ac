using Portal.Catalog.Queries;

namespace Portal.Catalog.Tests.Queries;

public sealed class Querying_the_catalog(AcmeCatalog app) : IClassFixture<AcmeCatalog>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    private async Task<List<string>> RefsAsync(EntityFilter? filter, FullTextFilter? fullText = null) =>
        (await Queries.QueryAsync(new EntityQuery { Filter = filter, FullText = fullText, Limit = 500 }, Cancellation)).Items.Select(e => e.Ref).ToList();

    [Fact]
    public async Task Conditions_inside_a_set_all_apply_and_values_compare_case_insensitively()
    {
        var refs = await RefsAsync(EntityFilter.All(EntityFilter.Equal("KIND", "component"), EntityFilter.Equal("spec.type", "SERVICE")));

        Assert.Equal(["component:default/payments-api", "component:default/search-indexer"], refs.Order());
    }

    [Fact]
    public async Task A_page_can_bring_the_owners_and_systems_of_its_entities_and_leave_out_descriptors_and_relations()
    {
        var page = await Queries.QueryAsync(new EntityQuery
        {
            Filter = EntityFilter.Equal("kind", "component"),
            Order = [new EntityOrder("metadata.name", Descending: false)],
            Limit = 2,
            Parts = EntityParts.Columns,
            Include = new RelatedEntities(EntityReferences.Owner | EntityReferences.System, EntityParts.Document),
        }, Cancellation);

        // The first two components by name: checkout-web and ledger-lib; only their owners and systems come along.
        Assert.Equal(["checkout-web", "ledger-lib"], page.Items.Select(e => e.Name));
        Assert.All(page.Items, e => Assert.Equal(EntityParts.Columns, e.Parts));
        var expected = page.Items.SelectMany(e => new[] { e.OwnerRef, e.SystemRef }).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expected, page.Related.Select(e => e.Ref).Order(StringComparer.Ordinal));
        Assert.NotEmpty(page.Related);
        Assert.All(page.Related, e => Assert.Equal(EntityParts.Document, e.Parts));
        Assert.Empty((await Queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("kind", "component") }, Cancellation)).Related);

        // The next page, through its cursor (the keyset condition), brings the next page's owners and systems.
        var next = await Queries.QueryAsync(new EntityQuery { Cursor = page.NextCursor, Limit = 2, Parts = EntityParts.Columns, Include = new RelatedEntities(EntityReferences.Owner | EntityReferences.System, EntityParts.Columns) }, Cancellation);
        Assert.Equal(["payments-api", "search-indexer"], next.Items.Select(e => e.Name));
        Assert.Equal(
            next.Items.SelectMany(e => new[] { e.OwnerRef, e.SystemRef }).OfType<string>().Distinct().Order(StringComparer.Ordinal),
            next.Related.Select(e => e.Ref).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_name_condition_matches_that_name_only_in_any_case()
    {
        var refs = await RefsAsync(EntityFilter.Equal("metadata.name", "Payments-API", "LEDGER-lib"));

        Assert.Equal(["component:default/ledger-lib", "component:default/payments-api"], refs.Order());
    }

    [Fact]
    public async Task Sets_combine_with_or()
    {
        var refs = await RefsAsync(EntityFilter.Any(EntityFilter.Equal("kind", "domain"), EntityFilter.Equal("kind", "resource")));

        Assert.Equal(["domain:default/commerce", "domain:default/payments-domain", "resource:default/payments-db"], refs.Order());
    }

    [Fact]
    public async Task Array_values_match_by_item_and_as_a_dot_path()
    {
        var byItem = await RefsAsync(EntityFilter.Equal("metadata.tags", "dotnet"));
        var byPath = await RefsAsync(EntityFilter.Exists("metadata.tags.dotnet"));

        Assert.Contains("component:default/payments-api", byItem);
        Assert.Equal(byItem.Order(), byPath.Order());
    }

    [Fact]
    public async Task A_key_alone_matches_entities_that_have_it()
    {
        var refs = await RefsAsync(EntityFilter.All(EntityFilter.Equal("kind", "component"), EntityFilter.Exists("spec.subcomponentOf")));

        Assert.Equal(["component:default/ledger-lib"], refs);
    }

    [Fact]
    public async Task Relations_filter_by_type_and_target()
    {
        var refs = await RefsAsync(EntityFilter.Equal("relations.ownedby", "group:default/payments-team"));

        Assert.Contains("component:default/payments-api", refs);
        Assert.DoesNotContain("component:default/ledger-lib", refs);
    }

    [Fact]
    public async Task Full_text_is_a_case_insensitive_substring_of_name_title_description_or_tags()
    {
        var refs = await RefsAsync(null, new FullTextFilter("CARD PAY"));

        Assert.Equal(["api:default/payments-rest", "component:default/payments-api"], refs.Order());
    }

    [Fact]
    public async Task Cursor_paging_visits_every_entity_once_in_order()
    {
        var all = await RefsAsync(null);
        var seen = new List<string>();
        var page = await Queries.QueryAsync(new EntityQuery { Limit = 4, Order = [new EntityOrder("metadata.name", Descending: true)] }, Cancellation);

        while (true)
        {
            seen.AddRange(page.Items.Select(e => e.Ref));
            Assert.Equal(all.Count, page.TotalCount);
            if (page.NextCursor is null)
            {
                break;
            }

            page = await Queries.QueryAsync(new EntityQuery { Limit = 4, Cursor = page.NextCursor }, Cancellation);
        }

        Assert.Equal(all.Order(), seen.Order());
        Assert.Equal(seen.Count, seen.Distinct().Count());
        var names = seen.Select(r => r[(r.IndexOf('/', StringComparison.Ordinal) + 1)..]).ToList();
        Assert.Equal(names.OrderDescending(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task A_tampered_cursor_is_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<InvalidQueryException>(() => Queries.QueryAsync(new EntityQuery { Cursor = "not-a-cursor!" }, Cancellation));

        Assert.Contains("cursor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task By_refs_keeps_the_order_and_gives_null_for_misses()
    {
        var entities = await Queries.GetManyAsync(["user:default/bob", "component:default/nope", "Group:Default/Acme"], Cancellation);

        Assert.Equal(["user:default/bob", null, "group:default/acme"], entities.Select(e => e?.Ref));
    }

    [Fact]
    public async Task Facets_count_values_as_written()
    {
        var facets = await Queries.FacetsAsync(["kind", "spec.lifecycle", "metadata.tags"], EntityFilter.Equal("kind", "component"), Cancellation);

        Assert.Equal([new FacetValue("Component", 4)], facets["kind"]);
        Assert.Equal([new FacetValue("experimental", 2), new FacetValue("production", 2)], facets["spec.lifecycle"]);
        Assert.Contains(new FacetValue("dotnet", 1), facets["metadata.tags"]);
    }

    [Fact]
    public async Task Facets_reach_any_path_including_annotation_keys()
    {
        var facets = await Queries.FacetsAsync(["metadata.annotations.github.com/project-slug"], null, Cancellation);

        Assert.Contains(new FacetValue("acme/payments-api", 1), facets["metadata.annotations.github.com/project-slug"]);
    }

    [Fact]
    public async Task The_dependency_graph_is_walked_to_the_asked_depth()
    {
        var one = await Queries.GraphAsync("component:default/checkout-web", GraphDirection.Dependencies, 1, Cancellation);
        var two = await Queries.GraphAsync("component:default/checkout-web", GraphDirection.Dependencies, 2, Cancellation);

        Assert.Equal(["component:default/payments-api", "component:default/search-indexer"], one.Select(n => n.Ref));
        Assert.Contains(("resource:default/payments-db", 2), two);
    }
}
