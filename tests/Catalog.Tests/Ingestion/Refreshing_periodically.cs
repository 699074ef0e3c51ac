using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Testing;

namespace Portal.Catalog.Tests.Ingestion;

/// <summary>The gateway with the background refresh on, every second.</summary>
public sealed class RefreshingEverySecond : ModuleHost
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:01",
    };
}

public sealed class Refreshing_periodically(RefreshingEverySecond app) : IClassFixture<RefreshingEverySecond>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    [Fact]
    public async Task A_changed_file_shows_up_in_queries_without_an_explicit_refresh()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("periodic-a", owner: "team-before"));
        await app.Get<LocationService>().RegisterAsync("file", file, Cancellation);

        folder.Write("catalog-info.yaml", CatalogFolder.Component("periodic-a", owner: "team-after")
            + "\n---\n" + CatalogFolder.Component("periodic-a-sibling"));

        var changed = await Eventually.UntilAsync(
            () => Queries.GetAsync("component:default/periodic-a", Cancellation),
            entity => entity?.OwnerRef == "group:default/team-after",
            Patience,
            "the new owner of periodic-a");
        Assert.Equal("updated", (await Queries.HistoryAsync(changed!.Ref, 1, Cancellation))[0].Change);
        await Eventually.UntilAsync(
            () => Queries.GetAsync("component:default/periodic-a-sibling", Cancellation), entity => entity is not null, Patience, "the new sibling");
    }

    [Fact]
    public async Task A_location_that_cannot_be_read_does_not_hold_back_the_others()
    {
        using var broken = new CatalogFolder();
        using var healthy = new CatalogFolder();
        var brokenFile = broken.Write("catalog-info.yaml", CatalogFolder.Component("periodic-broken"));
        var brokenLocation = (await app.Get<LocationService>().RegisterAsync("file", brokenFile, Cancellation)).Location;
        await app.Get<LocationService>().RegisterAsync(
            "file", healthy.Write("catalog-info.yaml", CatalogFolder.Component("periodic-healthy", owner: "team-before")), Cancellation);

        File.Delete(brokenFile);
        healthy.Write("catalog-info.yaml", CatalogFolder.Component("periodic-healthy", owner: "team-after"));

        await Eventually.UntilAsync(
            () => Queries.GetAsync("component:default/periodic-healthy", Cancellation),
            entity => entity?.OwnerRef == "group:default/team-after",
            Patience,
            "the healthy location's change");
        var location = await Eventually.UntilAsync(
            () => app.Get<LocationService>().GetAsync(brokenLocation.Id, Cancellation),
            l => l!.Problems.Count > 0,
            Patience,
            "the broken location's error");
        Assert.Contains("does not exist", location!.Problems[0].Message, StringComparison.Ordinal);
        Assert.NotNull(await Queries.GetAsync("component:default/periodic-broken", Cancellation));
    }
}
