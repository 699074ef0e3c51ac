using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Queries;

/// <summary>
/// <c>spec.owner = x</c> compares the owner as written, lower-cased, as Backstage's filter does: not the ref it resolves
/// to. Most entities hold one owner and are found through the spec_owner column; a custom kind may hold a list, or
/// null, and is found through the facts: the answers are the same either way.
/// </summary>
public sealed class Filtering_by_owner_as_written(Filtering_by_owner_as_written.OwnersCatalog app) : IClassFixture<Filtering_by_owner_as_written.OwnersCatalog>
{
    /// <summary>The catalog of <see cref="Descriptors"/>, registered once for the class's tests.</summary>
    public sealed class OwnersCatalog : ModuleHost
    {
        private readonly CatalogFolder _folder = new();

        public override async ValueTask InitializeAsync()
        {
            await base.InitializeAsync();
            await Get<LocationService>().RegisterAsync("file", _folder.Write("catalog-info.yaml", Descriptors), CancellationToken.None);
        }

        public override async ValueTask DisposeAsync()
        {
            await base.DisposeAsync();
            _folder.Dispose();
        }
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static readonly string Descriptors = string.Join("\n---\n",
        Entity("Component", "short-owner", "owner: Owner-Alpha", componentSpec: true),
        Entity("Component", "full-owner", "owner: group:default/owner-alpha", componentSpec: true),
        Entity("Widget", "listed-owners", "owner: [group:default/owner-beta, group:default/Owner-Gamma]"),
        Entity("Widget", "one-listed-owner", "owner: [group:default/owner-delta]"),
        Entity("Widget", "null-owner", "owner: null"),
        Entity("Widget", "owner-object", "owner: {team: group:default/owner-epsilon}"));

    private static string Entity(string kind, string name, string owner, bool componentSpec = false) => $"""
        apiVersion: {(componentSpec ? "backstage.io/v1alpha1" : "example.com/v1")}
        kind: {kind}
        metadata:
          name: {name}
        spec:
          {(componentSpec ? "type: service\n  lifecycle: production\n  " : "")}{owner}
        """;

    private async Task<List<string>> NamesAsync(EntityFilter filter)
    {
        var page = await app.Get<EntityQueryService>().QueryAsync(new EntityQuery { Filter = filter, Limit = 100 }, Cancellation);
        return [.. page.Items.Select(e => e.Name).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task A_short_owner_matches_as_written_and_not_as_the_ref_it_resolves_to()
    {
        Assert.Equal(["short-owner"], await NamesAsync(EntityFilter.Equal("spec.owner", "OWNER-ALPHA")));
        Assert.Equal(["full-owner"], await NamesAsync(EntityFilter.Equal("spec.owner", "group:default/owner-alpha")));
        Assert.Equal(["full-owner", "short-owner"], await NamesAsync(EntityFilter.Equal("relations.ownedBy", "group:default/owner-alpha")));
    }

    [Fact]
    public async Task A_list_of_owners_matches_by_any_of_them_and_a_list_of_one_as_that_one()
    {
        Assert.Equal(["listed-owners"], await NamesAsync(EntityFilter.Equal("spec.owner", "group:default/owner-gamma")));
        Assert.Equal(["listed-owners"], await NamesAsync(EntityFilter.Equal("spec.owner", "group:default/owner-beta")));
        Assert.Equal(["one-listed-owner"], await NamesAsync(EntityFilter.Equal("spec.owner", "group:default/owner-delta")));
        Assert.Equal(
            ["listed-owners", "one-listed-owner", "short-owner"],
            await NamesAsync(EntityFilter.Equal("spec.owner", "owner-alpha", "group:default/owner-beta", "group:default/owner-delta")));
    }

    [Fact]
    public async Task A_null_or_an_object_owner_matches_no_value_and_a_negation_keeps_them()
    {
        Assert.Empty(await NamesAsync(EntityFilter.Equal("spec.owner", "null")));
        Assert.Empty(await NamesAsync(EntityFilter.Equal("spec.owner", "group:default/owner-epsilon")));
        Assert.Equal(["owner-object"], await NamesAsync(EntityFilter.Equal("spec.owner.team", "group:default/owner-epsilon")));

        var notAlpha = await NamesAsync(EntityFilter.All(
            EntityFilter.Equal("metadata.name", "short-owner", "full-owner", "listed-owners", "one-listed-owner", "null-owner", "owner-object"),
            new Negation(EntityFilter.Equal("spec.owner", "owner-alpha", "group:default/owner-beta"))));
        Assert.Equal(["full-owner", "null-owner", "one-listed-owner", "owner-object"], notAlpha);
    }
}
