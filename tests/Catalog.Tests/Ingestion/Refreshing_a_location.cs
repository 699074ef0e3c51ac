using Npgsql;
using Portal.Catalog.Locations;
using Portal.Catalog.Persistence.Writes;
using Portal.Catalog.Queries;
using Portal.Testing;

namespace Portal.Catalog.Tests.Ingestion;

public sealed class Refreshing_a_location(ModuleHost app) : IClassFixture<ModuleHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Makes_its_entities_queryable_the_moment_registration_returns()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("instant-a"));

        await app.Get<LocationService>().RegisterAsync("file", file, Cancellation);

        Assert.NotNull(await app.Get<EntityQueryService>().GetAsync("component:default/instant-a", Cancellation));
    }

    [Fact]
    public async Task Removes_an_entity_the_location_no_longer_emits()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("keep-b") + "\n---\n" + CatalogFolder.Component("drop-b"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        folder.Write("catalog-info.yaml", CatalogFolder.Component("keep-b"));

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        Assert.Equal(1, outcome!.Removed);
        Assert.Null(await app.Get<EntityQueryService>().GetAsync("component:default/drop-b", Cancellation));
        Assert.NotNull(await app.Get<EntityQueryService>().GetAsync("component:default/keep-b", Cancellation));
        var history = await app.Get<EntityQueryService>().HistoryAsync("component:default/drop-b", 10, Cancellation);
        Assert.Equal(["deleted", "created"], history.Select(h => h.Change));
    }

    [Fact]
    public async Task Records_which_fields_changed_and_who_changed_them()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("history-c", owner: "team-a"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        folder.Write("catalog-info.yaml", CatalogFolder.Component("history-c", owner: "team-b"));

        await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        var history = await app.Get<EntityQueryService>().HistoryAsync("component:default/history-c", 10, Cancellation);
        Assert.Equal("updated", history[0].Change);
        Assert.Equal(["spec.owner"], history[0].ChangedFields);
        Assert.Equal($"location:file:{file}", history[0].Actor);
        var entity = await app.Get<EntityQueryService>().GetAsync("component:default/history-c", Cancellation);
        Assert.Equal("group:default/team-b", entity!.OwnerRef);
    }

    [Fact]
    public async Task A_read_that_fails_keeps_the_last_good_entities_and_carries_the_error()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("survivor-d"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        File.Delete(file);

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        Assert.NotNull(await app.Get<EntityQueryService>().GetAsync("component:default/survivor-d", Cancellation));
        var problem = Assert.Single(outcome!.Problems);
        Assert.Contains("does not exist", problem.Message, StringComparison.Ordinal);
        Assert.Single((await app.Get<LocationService>().GetAsync(location.Id, Cancellation))!.Problems);
    }

    [Fact]
    public async Task A_document_with_text_the_database_cannot_store_is_that_document_s_problem_only()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("nul-kept") + "\n---\n" + CatalogFolder.Component("nul-sibling", owner: "team-before"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        folder.Write("catalog-info.yaml", CatalogFolder.Component("nul-kept", extra: "  system: \"bad\\0system\"")
            + "\n---\n" + CatalogFolder.Component("nul-sibling", owner: "team-after"));

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        var problem = Assert.Single(outcome!.Problems);
        Assert.Equal(("spec.system", 1), (problem.Field, problem.Document));
        Assert.NotNull(await app.Get<EntityQueryService>().GetAsync("component:default/nul-kept", Cancellation));
        Assert.Equal("group:default/team-after", (await app.Get<EntityQueryService>().GetAsync("component:default/nul-sibling", Cancellation))!.OwnerRef);
        Assert.Equal(problem.Message, Assert.Single((await app.Get<LocationService>().GetAsync(location.Id, Cancellation))!.Problems).Message);
    }

    [Fact]
    public async Task A_document_that_turns_invalid_keeps_its_previous_version()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("steady-e") + "\n---\n" + CatalogFolder.Component("other-e"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        folder.Write("catalog-info.yaml", CatalogFolder.Component("steady-e").Replace("lifecycle: production", "", StringComparison.Ordinal)
            + "\n---\n" + CatalogFolder.Component("other-e"));

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        Assert.Contains(outcome!.Problems, p => p.Field == "spec.lifecycle" && p.Document == 1);
        var kept = await app.Get<EntityQueryService>().GetAsync("component:default/steady-e", Cancellation);
        Assert.Equal("production", kept!.Lifecycle);
    }

    [Fact]
    public async Task The_same_ref_from_a_second_location_is_a_conflict_and_the_first_keeps_it()
    {
        using var first = new CatalogFolder();
        using var second = new CatalogFolder();
        await app.Get<LocationService>().RegisterAsync("file", first.Write("a.yaml", CatalogFolder.Component("contested-f", "team-first")), Cancellation);

        var outcome = await app.Get<LocationService>().RegisterAsync(
            "file", second.Write("b.yaml", CatalogFolder.Component("contested-f", "team-second")), Cancellation);

        Assert.Contains(outcome.Problems, p => p.Message.Contains("already managed by", StringComparison.Ordinal));
        var entity = await app.Get<EntityQueryService>().GetAsync("component:default/contested-f", Cancellation);
        Assert.Equal("group:default/team-first", entity!.OwnerRef);
    }

    [Fact]
    public async Task The_same_ref_twice_in_one_location_is_reported_and_the_first_kept()
    {
        using var folder = new CatalogFolder();
        folder.Write("one.yaml", CatalogFolder.Component("twice-g", "team-one"));
        folder.Write("two.yaml", CatalogFolder.Component("Twice-G", "team-two"));

        var outcome = await app.Get<LocationService>().RegisterAsync("file", folder.Root, Cancellation);

        var problem = Assert.Single(outcome.Problems);
        Assert.Contains("two.yaml", problem.Source, StringComparison.Ordinal);
        Assert.Contains("defined twice", problem.Message, StringComparison.Ordinal);
        Assert.Equal("group:default/team-one", (await app.Get<EntityQueryService>().GetAsync("component:default/twice-g", Cancellation))!.OwnerRef);
    }

    [Fact]
    public async Task A_target_that_does_not_exist_is_refused_at_registration()
    {
        var missing = Path.Combine(Path.GetTempPath(), "portal-missing-" + Guid.NewGuid().ToString("N"), "catalog-info.yaml");

        var error = await Assert.ThrowsAsync<LocationReadException>(() => app.Get<LocationService>().RegisterAsync("file", missing, Cancellation));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await app.Get<LocationService>().ListAsync(Cancellation), l => l.Target == missing);
    }

    [Fact]
    public async Task Registering_a_target_twice_is_a_conflict()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("again-h"));
        await app.Get<LocationService>().RegisterAsync("file", file, Cancellation);

        await Assert.ThrowsAsync<LocationConflictException>(() => app.Get<LocationService>().RegisterAsync("file", file, Cancellation));
    }

    [Fact]
    public async Task A_dry_run_stores_nothing()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("dry-i"));

        var preview = await app.Get<LocationService>().PreviewAsync("file", file, Cancellation);

        Assert.Equal(["component:default/dry-i"], preview.Entities.Select(e => e.Ref.Canonical));
        Assert.Null(await app.Get<EntityQueryService>().GetAsync("component:default/dry-i", Cancellation));
        Assert.DoesNotContain(await app.Get<LocationService>().ListAsync(Cancellation), l => l.Target == file);
    }

    [Fact]
    public async Task Unregistering_removes_the_location_and_its_entities()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("gone-j"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;

        Assert.True(await app.Get<LocationService>().UnregisterAsync(location.Id, Cancellation));

        Assert.Null(await app.Get<EntityQueryService>().GetAsync("component:default/gone-j", Cancellation));
        Assert.Null(await app.Get<LocationService>().GetAsync(location.Id, Cancellation));
    }

    [Fact]
    public async Task A_refresh_that_overlaps_unregistering_leaves_no_entity_behind()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("overlap-l"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        folder.Write("catalog-info.yaml", CatalogFolder.Component("overlap-l") + "\n---\n" + CatalogFolder.Component("overlap-new-l"));

        // Another writer holds the catalog's write lock, so the refresh reads its files and then has to wait.
        await using var writer = new NpgsqlConnection(app.ConnectionString);
        await writer.OpenAsync(Cancellation);
        var held = await writer.BeginTransactionAsync(Cancellation);
        await CatalogWriteGate.LockAsync(writer, Cancellation);

        var refresh = app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);
        await Eventually.UntilAsync(() => WaitingForLockAsync(writer), waiting => waiting > 0, TimeSpan.FromSeconds(5), "the refresh waiting for the write lock");
        var unregister = app.Get<LocationService>().UnregisterAsync(location.Id, Cancellation);
        await Task.WhenAny(unregister, Task.Delay(200, Cancellation));
        await held.CommitAsync(Cancellation);
        await Task.WhenAll(refresh, unregister);

        Assert.True(await unregister);
        Assert.Null(await app.Get<LocationService>().GetAsync(location.Id, Cancellation));
        Assert.Null(await app.Get<EntityQueryService>().GetAsync("component:default/overlap-l", Cancellation));
        Assert.Null(await app.Get<EntityQueryService>().GetAsync("component:default/overlap-new-l", Cancellation));
    }

    [Fact]
    public async Task A_relation_to_a_missing_entity_is_kept_and_reported()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("lonely-k", owner: "nobody-k"));
        await app.Get<LocationService>().RegisterAsync("file", file, Cancellation);

        var entity = await app.Get<EntityQueryService>().GetAsync("component:default/lonely-k", Cancellation);

        Assert.Contains(entity!.Relations!, r => r.Type == "ownedBy" && r.TargetRef == "group:default/nobody-k");
        var warning = Assert.Single(entity.Status);
        Assert.Equal("warning", warning.Level);
        Assert.Contains("group:default/nobody-k", warning.Message, StringComparison.Ordinal);
    }

    private static async Task<long> WaitingForLockAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("""
            SELECT count(*) FROM pg_locks
            WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, connection);
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
