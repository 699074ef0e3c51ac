using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Testing;

namespace Portal.Catalog.Tests.Ingestion;

/// <summary>The gateway with <c>Catalog:OrphanStrategy = Keep</c>, Backstage's default.</summary>
public sealed class KeepingOrphans : ModuleHost
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Catalog:OrphanStrategy"] = "Keep",
    };
}

public sealed class Keeping_orphans(KeepingOrphans app) : IClassFixture<KeepingOrphans>
{
    private const string OrphanAnnotation = "backstage.io/orphan";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    [Fact]
    public async Task An_entity_the_location_stops_emitting_is_kept_and_marked_orphan_as_Backstage_does()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("stays-a") + "\n---\n" + CatalogFolder.Component("strays-a"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        var before = await Queries.GetAsync("component:default/strays-a", Cancellation);
        folder.Write("catalog-info.yaml", CatalogFolder.Component("stays-a"));

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        Assert.Equal(1, outcome!.Removed);
        var orphan = await Queries.GetAsync("component:default/strays-a", Cancellation);
        Assert.True(orphan!.Orphan);
        Assert.Equal("true", orphan.Descriptor!.Json["metadata"]!["annotations"]![OrphanAnnotation]!.GetValue<string>());
        Assert.NotEqual(before!.Etag, orphan.Etag);
        Assert.Contains(orphan.Relations!, r => r.Type == "ownedBy");
        Assert.Equal(["orphaned", "created"], (await Queries.HistoryAsync(orphan.Ref, 10, Cancellation)).Select(h => h.Change));
        var kept = await Queries.GetAsync("component:default/stays-a", Cancellation);
        Assert.False(kept!.Orphan);
        Assert.Null(kept.Descriptor!.Json["metadata"]!["annotations"]?[OrphanAnnotation]);
    }

    [Fact]
    public async Task Orphans_are_found_with_Backstage_filter_on_the_annotation()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("stays-b") + "\n---\n" + CatalogFolder.Component("strays-b"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        folder.Write("catalog-info.yaml", CatalogFolder.Component("stays-b"));
        await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        var page = await Queries.QueryAsync(
            new EntityQuery { Filter = EntityFilter.Equal("metadata.annotations.backstage.io/orphan", "true"), Limit = 100 }, Cancellation);

        Assert.Contains("component:default/strays-b", page.Items.Select(e => e.Ref));
        Assert.DoesNotContain("component:default/stays-b", page.Items.Select(e => e.Ref));
    }

    [Fact]
    public async Task An_orphan_emitted_again_is_adopted_and_loses_the_annotation()
    {
        using var folder = new CatalogFolder();
        var both = CatalogFolder.Component("stays-c") + "\n---\n" + CatalogFolder.Component("returns-c");
        var file = folder.Write("catalog-info.yaml", both);
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        folder.Write("catalog-info.yaml", CatalogFolder.Component("stays-c"));
        await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);
        folder.Write("catalog-info.yaml", both);

        await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        var adopted = await Queries.GetAsync("component:default/returns-c", Cancellation);
        Assert.False(adopted!.Orphan);
        Assert.Null(adopted.Descriptor!.Json["metadata"]!["annotations"]?[OrphanAnnotation]);
        Assert.Equal(["updated", "orphaned", "created"], (await Queries.HistoryAsync(adopted.Ref, 10, Cancellation)).Select(h => h.Change));
        var orphans = await Queries.QueryAsync(
            new EntityQuery { Filter = EntityFilter.Equal("metadata.annotations.backstage.io/orphan", "true"), Limit = 100 }, Cancellation);
        Assert.DoesNotContain(adopted.Ref, orphans.Items.Select(e => e.Ref));
    }

    [Fact]
    public async Task A_read_that_fails_orphans_nothing()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("unread-d"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        File.Delete(file);

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        Assert.Equal(0, outcome!.Removed);
        Assert.False((await Queries.GetAsync("component:default/unread-d", Cancellation))!.Orphan);
    }
}
