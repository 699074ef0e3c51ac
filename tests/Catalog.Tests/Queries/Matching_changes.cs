using Portal.Catalog.Queries;

namespace Portal.Catalog.Tests.Queries;

public sealed class Matching_changes(AcmeCatalog app) : IClassFixture<AcmeCatalog>
{
    private static readonly string[] Changed =
        ["component:default/payments-api", "component:default/checkout-web", "component:default/ledger-lib", "component:default/not-in-the-catalog"];

    [Fact]
    public async Task Each_filter_selects_among_the_changed_entities_what_a_query_with_it_would()
    {
        var services = EntityFilter.All(EntityFilter.Equal("kind", "Component"), EntityFilter.Equal("spec.type", "service"));
        var ownedByPayments = EntityFilter.Equal("relations.ownedBy", "group:default/payments-team");
        var partOfPayments = EntityFilter.Equal("relations.partOf", "system:default/payments");
        var notALibrary = new Negation(EntityFilter.Equal("spec.type", "library"));

        var matches = await app.Get<ChangeMatcher>().MatchAsync(
            Changed, [services, ownedByPayments, partOfPayments, notALibrary], TestContext.Current.CancellationToken);

        Assert.Equal(["component:default/payments-api"], matches[0]);
        Assert.Equal(["component:default/checkout-web", "component:default/payments-api"], matches[1].Order());
        Assert.Equal(["component:default/checkout-web", "component:default/payments-api"], matches[2].Order());
        Assert.Equal(["component:default/checkout-web", "component:default/payments-api"], matches[3].Order());
    }

    [Fact]
    public async Task Many_filters_are_answered_in_one_call()
    {
        var filters = Enumerable.Range(0, 70)
            .Select(i => i % 2 == 0 ? EntityFilter.Equal("metadata.name", "ledger-lib") : EntityFilter.Equal("metadata.name", $"other-{i}"))
            .ToList();

        var matches = await app.Get<ChangeMatcher>().MatchAsync(Changed, filters, TestContext.Current.CancellationToken);

        Assert.Equal(70, matches.Count);
        Assert.All(matches.Where((_, i) => i % 2 == 0), m => Assert.Equal(["component:default/ledger-lib"], m));
        Assert.All(matches.Where((_, i) => i % 2 == 1), Assert.Empty);
    }

    [Fact]
    public void A_filter_the_catalog_cannot_run_is_refused_when_validated()
    {
        var tooMany = EntityFilter.All([.. Enumerable.Range(0, 201).Select(i => EntityFilter.Equal("spec.type", $"t{i}"))]);

        var error = Assert.Throws<InvalidQueryException>(() => ChangeMatcher.Validate(tooMany));

        Assert.Contains("at most 200 conditions", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("component:default/gone", true)]
    [InlineData("api:default/gone", false)]
    [InlineData("component:other/gone", false)]
    public void A_deleted_entity_is_decided_on_its_kind_and_namespace(string deleted, bool expected)
    {
        var filter = EntityFilter.All(EntityFilter.Equal("kind", "COMPONENT"), EntityFilter.Equal("metadata.namespace", "default"));

        Assert.Equal(expected, ChangeMatcher.MayMatchDeleted(filter, deleted));
    }

    [Fact]
    public void A_deleted_entity_gets_the_benefit_of_the_doubt_on_what_its_ref_does_not_tell()
    {
        var ownedByPayments = EntityFilter.Equal("relations.ownedBy", "group:default/payments-team");

        Assert.True(ChangeMatcher.MayMatchDeleted(ownedByPayments, "component:default/gone"));
        Assert.True(ChangeMatcher.MayMatchDeleted(new Negation(ownedByPayments), "component:default/gone"));
        Assert.False(ChangeMatcher.MayMatchDeleted(
            EntityFilter.All(EntityFilter.Equal("kind", "api"), ownedByPayments), "component:default/gone"));
        Assert.True(ChangeMatcher.MayMatchDeleted(
            EntityFilter.Any(EntityFilter.Equal("kind", "api"), ownedByPayments), "component:default/gone"));
        Assert.False(ChangeMatcher.MayMatchDeleted(new Negation(EntityFilter.Equal("kind", "component")), "component:default/gone"));
        Assert.False(ChangeMatcher.MayMatchDeleted(new AnyOf([]), "component:default/gone"));
        Assert.True(ChangeMatcher.MayMatchDeleted(EntityFilter.Equal("metadata.name", "Gone"), "component:default/gone"));
    }
}
