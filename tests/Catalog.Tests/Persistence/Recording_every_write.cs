using System.Text.Json.Nodes;
using Npgsql;
using Portal.Catalog.Entities;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Persistence;

/// <summary>
/// The write protocol: whichever way a write changes entities (a location registered, refreshed or unregistered, an
/// entity upserted or deleted through the API), it records each change in the entity's history with its actor, bumps
/// the catalog's version once, and announces the changes in the outbox under that version; a write that changes
/// nothing records nothing.
/// </summary>
public sealed class Recording_every_write(ModuleHost app) : IClassFixture<ModuleHost>, IDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private readonly CatalogFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Every_kind_of_write_records_history_a_new_version_and_its_announcement_and_a_write_without_change_records_nothing()
    {
        var file = _folder.Write("catalog-info.yaml", CatalogFolder.Component("recorded-a"));
        var locations = app.Get<LocationService>();
        var entities = app.Get<EntityService>();
        var actor = $"location:file:{file}";

        var registered = await RecordedAsync(() => locations.RegisterAsync("file", file, Cancellation));
        _folder.Write("catalog-info.yaml", CatalogFolder.Component("recorded-a", "team-b"));
        var refreshed = await RecordedAsync(() => locations.RefreshAsync(registered.Result.Location.Id, Cancellation));
        var unchanged = await RecordedAsync(() => locations.RefreshAsync(registered.Result.Location.Id, Cancellation));
        var unregistered = await RecordedAsync(() => locations.UnregisterAsync(registered.Result.Location.Id, Cancellation));
        var upserted = await RecordedAsync(() => entities.UpsertAsync(Group("recorded-g"), null, "user:default/ada", Cancellation));
        var deleted = await RecordedAsync(() => entities.DeleteAsync("group:default/recorded-g", null, "user:default/bob", Cancellation));

        Assert.Equal(("component:default/recorded-a", "created", actor), Single(registered));
        Assert.Equal(("component:default/recorded-a", "updated", actor), Single(refreshed));
        Assert.Equal((0L, 0, 0), (unchanged.VersionStep, unchanged.History.Count, unchanged.Announced.Count));
        Assert.Equal(("component:default/recorded-a", "deleted", actor), Single(unregistered));
        Assert.Equal(("group:default/recorded-g", "created", "user:default/ada"), Single(upserted));
        Assert.Equal(("group:default/recorded-g", "deleted", "user:default/bob"), Single(deleted));
    }

    [Fact]
    public async Task One_write_announces_its_changes_in_the_order_it_made_them_created_before_deleted()
    {
        var file = _folder.Write("catalog-info.yaml", CatalogFolder.Component("ordered-old"));
        var locations = app.Get<LocationService>();
        var registered = await locations.RegisterAsync("file", file, Cancellation);
        _folder.Write("catalog-info.yaml", CatalogFolder.Component("ordered-new"));

        var refreshed = await RecordedAsync(() => locations.RefreshAsync(registered.Location.Id, Cancellation));

        Assert.Equal([("component:default/ordered-new", "created"), ("component:default/ordered-old", "deleted")], refreshed.Announced);
        Assert.Equal(refreshed.Announced, refreshed.History.Select(h => (h.Ref, h.Change)));
    }

    [Fact]
    public async Task A_registration_answers_with_its_entities_as_stored_and_a_refresh_with_the_same_uids_and_etags()
    {
        var file = _folder.Write("catalog-info.yaml", CatalogFolder.Component("answered-a") + "\n---\n" + CatalogFolder.Component("answered-b"));
        var locations = app.Get<LocationService>();

        var registered = await locations.RegisterAsync("file", file, Cancellation);
        var refreshed = await locations.RefreshAsync(registered.Location.Id, Cancellation);

        var stored = await app.Get<EntityQueryService>().GetManyAsync(["component:default/answered-a", "component:default/answered-b"], Cancellation);
        Assert.Equal(stored.Select(e => (e!.Ref, e.Uid, e.Etag)), registered.Entities.Select(e => (e.Entity.Ref.Canonical, e.Uid, e.Etag)));
        Assert.Equal(registered.Entities.Select(e => (e.Uid, e.Etag)), refreshed!.Entities.Select(e => (e.Uid, e.Etag)));
    }

    private static (string Ref, string Change, string Actor) Single<T>(Recorded<T> recorded)
    {
        Assert.Equal(1, recorded.VersionStep);
        var history = Assert.Single(recorded.History);
        var announced = Assert.Single(recorded.Announced);
        Assert.Equal((history.Ref, history.Change), announced);
        return history;
    }

    /// <summary>Runs a write and reads what it recorded: the version step, the history rows and the announced changes.</summary>
    private async Task<Recorded<T>> RecordedAsync<T>(Func<Task<T>> write)
    {
        var queries = app.Get<EntityQueryService>();
        var before = await queries.CatalogVersionAsync(Cancellation);
        var lastHistory = await ScalarAsync("SELECT coalesce(max(id), 0) FROM catalog.entity_history");
        var result = await write();
        var after = await queries.CatalogVersionAsync(Cancellation);

        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Cancellation);
        var history = new List<(string, string, string)>();
        await using (var command = new NpgsqlCommand("SELECT entity_ref, change, actor FROM catalog.entity_history WHERE id > @last ORDER BY id", connection))
        {
            command.Parameters.AddWithValue("last", lastHistory);
            await using var reader = await command.ExecuteReaderAsync(Cancellation);
            while (await reader.ReadAsync(Cancellation))
            {
                history.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        var announced = new List<(string, string)>();
        await using (var command = new NpgsqlCommand(
            "SELECT body::text FROM catalog.outbox WHERE message_type = 'Portal.Contracts.Catalog.EntitiesChanged' AND (body->>'catalogVersion')::bigint > @before ORDER BY position", connection))
        {
            command.Parameters.AddWithValue("before", before);
            await using var reader = await command.ExecuteReaderAsync(Cancellation);
            while (await reader.ReadAsync(Cancellation))
            {
                announced.AddRange(JsonNode.Parse(reader.GetString(0))!["changes"]!.AsArray().Select(c => ((string)c!["ref"]!, (string)c["change"]!)));
            }
        }

        return new Recorded<T>(result, after - before, history, announced);
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(Cancellation));
    }

    private static JsonObject Group(string name) => new()
    {
        ["apiVersion"] = "backstage.io/v1alpha1",
        ["kind"] = "Group",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["type"] = "team", ["children"] = new JsonArray() },
    };

    private sealed record Recorded<T>(T Result, long VersionStep, List<(string Ref, string Change, string Actor)> History, List<(string Ref, string Change)> Announced);
}
