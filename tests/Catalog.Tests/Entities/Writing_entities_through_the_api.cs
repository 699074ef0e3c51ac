using System.Text.Json.Nodes;
using Npgsql;
using Portal.Catalog.Entities;
using Portal.Catalog.Locations;
using Portal.Catalog.Persistence.Writes;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Entities;

public sealed class Writing_entities_through_the_api(ModuleHost app) : IClassFixture<ModuleHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityService Entities => app.Get<EntityService>();

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    private static JsonObject Component(string name, string owner = "team-api") => new()
    {
        ["apiVersion"] = "backstage.io/v1alpha1",
        ["kind"] = "Component",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["type"] = "service", ["lifecycle"] = "production", ["owner"] = owner },
    };

    [Fact]
    public async Task An_upsert_with_text_the_database_cannot_store_is_a_validation_error_naming_the_field()
    {
        var document = Component("api-unstorable");
        document["metadata"]!["description"] = "half a pair: \ud800";
        document["spec"]!["system"] = "nul\u0000system";

        var error = await Assert.ThrowsAsync<EntityValidationException>(() => Entities.UpsertAsync(document, null, "api:test", Cancellation));

        Assert.Equal(["metadata.description", "spec.system"], error.Problems.Where(p => p.Message.Contains("cannot store", StringComparison.Ordinal)).Select(p => p.Field));
        Assert.Null(await Queries.GetAsync("component:default/api-unstorable", Cancellation));
    }

    [Fact]
    public async Task A_write_cancelled_while_it_waits_for_the_write_lock_lets_the_next_write_through()
    {
        // Another writer (another replica, say) holds the catalog's write lock.
        await using var other = new NpgsqlConnection(app.ConnectionString);
        await other.OpenAsync(Cancellation);
        var held = await other.BeginTransactionAsync(Cancellation);
        await CatalogWriteGate.LockAsync(other, Cancellation);

        using var impatient = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        impatient.CancelAfter(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Entities.UpsertAsync(Component("api-cancelled"), null, "api:test", impatient.Token));
        await held.CommitAsync(Cancellation);

        // This process's turn passed on with the cancelled write: the next one goes through.
        await Entities.UpsertAsync(Component("api-after-cancel"), null, "api:test", Cancellation).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);

        Assert.Null(await Queries.GetAsync("component:default/api-cancelled", Cancellation));
        Assert.NotNull(await Queries.GetAsync("component:default/api-after-cancel", Cancellation));
    }

    [Fact]
    public async Task An_upsert_creates_then_replaces_the_entity_and_records_both()
    {
        await Entities.UpsertAsync(Component("api-a"), null, "api:test", Cancellation);

        await Entities.UpsertAsync(Component("api-a", owner: "team-new"), null, "api:test", Cancellation);

        var entity = await Queries.GetAsync("component:default/api-a", Cancellation);
        Assert.Equal("group:default/team-new", entity!.OwnerRef);
        Assert.Null(entity.LocationId);
        var history = await Queries.HistoryAsync("component:default/api-a", 10, Cancellation);
        Assert.Equal(["updated", "created"], history.Select(h => h.Change));
        Assert.All(history, h => Assert.Equal("api:test", h.Actor));
    }

    [Fact]
    public async Task A_stale_etag_is_a_conflict_and_changes_nothing()
    {
        await Entities.UpsertAsync(Component("api-b"), null, "api:test", Cancellation);
        var etag = (await Queries.GetAsync("component:default/api-b", Cancellation))!.Etag;
        await Entities.UpsertAsync(Component("api-b", owner: "team-first-writer"), etag, "api:test", Cancellation);

        var error = await Assert.ThrowsAsync<EntityConflictException>(() =>
            Entities.UpsertAsync(Component("api-b", owner: "team-second-writer"), etag, "api:test", Cancellation));

        Assert.Contains("has changed since it was read", error.Message, StringComparison.Ordinal);
        Assert.Equal("group:default/team-first-writer", (await Queries.GetAsync("component:default/api-b", Cancellation))!.OwnerRef);
    }

    [Fact]
    public async Task An_invalid_descriptor_is_refused_naming_the_field()
    {
        var invalid = Component("api c");

        var error = await Assert.ThrowsAsync<EntityValidationException>(() => Entities.UpsertAsync(invalid, null, "api:test", Cancellation));

        Assert.Contains(error.Problems, p => p.Field == "metadata.name");
    }

    [Fact]
    public async Task An_entity_a_location_manages_cannot_be_written_or_deleted_through_the_api()
    {
        using var folder = new CatalogFolder();
        await app.Get<LocationService>().RegisterAsync("file", folder.Write("c.yaml", CatalogFolder.Component("managed-d")), Cancellation);

        await Assert.ThrowsAsync<EntityConflictException>(() => Entities.UpsertAsync(Component("managed-d"), null, "api:test", Cancellation));
        await Assert.ThrowsAsync<EntityConflictException>(() => Entities.DeleteAsync("component:default/managed-d", null, "api:test", Cancellation));

        Assert.Equal("group:default/team-a", (await Queries.GetAsync("component:default/managed-d", Cancellation))!.OwnerRef);
    }

    [Fact]
    public async Task A_delete_removes_the_entity_and_its_relations()
    {
        await Entities.UpsertAsync(Component("api-e"), null, "api:test", Cancellation);

        Assert.True(await Entities.DeleteAsync("component:default/api-e", null, "api:test", Cancellation));

        Assert.Null(await Queries.GetAsync("component:default/api-e", Cancellation));
        Assert.DoesNotContain(
            (await Queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("relations.ownerOf", "component:default/api-e") }, Cancellation)).Items,
            _ => true);
        Assert.False(await Entities.DeleteAsync("component:default/api-e", null, "api:test", Cancellation));
    }

    [Fact]
    public async Task A_malformed_ref_is_a_clear_error()
    {
        var error = await Assert.ThrowsAsync<FormatException>(() => Entities.DeleteAsync("component:", null, "api:test", Cancellation));

        Assert.NotEmpty(error.Message);
    }
}
