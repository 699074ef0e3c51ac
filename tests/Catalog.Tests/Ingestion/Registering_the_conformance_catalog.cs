using System.Text.Json;
using Npgsql;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Testing;

namespace Portal.Catalog.Tests.Ingestion;

public sealed class Registering_the_conformance_catalog(AcmeCatalog app) : IClassFixture<AcmeCatalog>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Yields_exactly_the_entities_and_relations_stock_Backstage_derives()
    {
        var locations = app.Get<LocationService>();
        var queries = app.Get<EntityQueryService>();
        using var expected = JsonDocument.Parse(await File.ReadAllTextAsync(SharedFiles.Path("conformance", "catalog", "acme", "expected.json"), Cancellation));
        var expectedEntities = expected.RootElement.GetProperty("entities").EnumerateObject()
            .ToDictionary(e => e.Name, e => e.Value.EnumerateArray().Select(r => $"{r[0].GetString()} {r[1].GetString()}").Order(StringComparer.Ordinal).ToList());

        var location = Assert.Single(await locations.ListAsync(Cancellation));
        Assert.Empty(location.Problems);
        var stored = await queries.QueryAsync(new EntityQuery { Limit = 500 }, Cancellation);
        Assert.Equal(expectedEntities.Keys.Order(), stored.Items.Select(e => e.Ref).Order());
        foreach (var entity in stored.Items)
        {
            // Each edge once (a group's parent and its parent's children emit the same two), in one stable order.
            Assert.Equal(expectedEntities[entity.Ref], entity.Relations!.Select(r => $"{r.Type} {r.TargetRef}").ToList());
        }
    }

    [Fact]
    public async Task Refreshing_the_unchanged_catalog_writes_no_entity_relation_or_history_row()
    {
        var locations = app.Get<LocationService>();
        var registered = Assert.Single(await locations.ListAsync(Cancellation));
        var before = await WriteCountersAsync();

        var outcome = await locations.RefreshAsync(registered.Id, Cancellation);

        Assert.NotNull(outcome);
        Assert.Equal((0, 0, 0), (outcome.Created, outcome.Updated, outcome.Removed));
        Assert.Equal(before, await WriteCountersAsync());
    }

    private async Task<(long, long, long)> WriteCountersAsync()
    {
        // Any rewritten row gets a new xmin, so the sums change if anything was written.
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var rows = new NpgsqlCommand("""
            SELECT (SELECT coalesce(sum(xmin::text::bigint), 0) FROM catalog.entities),
                   (SELECT coalesce(sum(xmin::text::bigint), 0) FROM catalog.relations),
                   (SELECT count(*) FROM catalog.entity_history)
            """, connection);
        await using var reader = await rows.ExecuteReaderAsync(Cancellation);
        await reader.ReadAsync(Cancellation);
        return (Convert.ToInt64(reader.GetValue(0)), Convert.ToInt64(reader.GetValue(1)), reader.GetInt64(2));
    }
}
