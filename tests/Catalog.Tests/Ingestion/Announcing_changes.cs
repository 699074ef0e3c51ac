using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Portal.Catalog.Entities;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Testing;

namespace Portal.Catalog.Tests.Ingestion;

public sealed class Announcing_changes(ModuleHost app) : IClassFixture<ModuleHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_write_announces_its_changes_in_order_in_messages_of_at_most_500()
    {
        using var folder = new CatalogFolder();
        var yaml = new StringBuilder();
        for (var i = 0; i < 1200; i++)
        {
            yaml.Append(CatalogFolder.Component($"bulk-{i:D4}")).Append("\n---\n");
        }

        var file = folder.Write("catalog-info.yaml", yaml.ToString());

        await app.Get<LocationService>().RegisterAsync("file", file, Cancellation);

        var version = await app.Get<EntityQueryService>().CatalogVersionAsync(Cancellation);
        var messages = await MessagesAsync(version);
        Assert.Equal([500, 500, 200], messages.Select(m => m["changes"]!.AsArray().Count));
        var changes = messages.SelectMany(m => m["changes"]!.AsArray()).ToList();
        Assert.All(changes, c => Assert.Equal("created", (string?)c!["change"]));
        Assert.Equal(Enumerable.Range(0, 1200).Select(i => $"component:default/bulk-{i:D4}"), changes.Select(c => (string?)c!["ref"]));
    }

    [Fact]
    public async Task Deleting_through_the_api_announces_the_deletion_and_an_unchanged_write_announces_nothing()
    {
        var entities = app.Get<EntityService>();
        var document = (JsonObject)JsonNode.Parse("""
            {"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"announced"},"spec":{"type":"team","children":[]}}
            """)!;
        await entities.UpsertAsync(document, null, "test", Cancellation);
        var rowsAfterCreate = await OutboxRowsAsync();

        await entities.UpsertAsync(document, null, "test", Cancellation);
        var rowsAfterSameAgain = await OutboxRowsAsync();
        await entities.DeleteAsync("group:default/announced", null, "test", Cancellation);

        Assert.Equal(rowsAfterCreate, rowsAfterSameAgain);
        var version = await app.Get<EntityQueryService>().CatalogVersionAsync(Cancellation);
        var deletion = Assert.Single(await MessagesAsync(version));
        Assert.Equal("""[{"ref":"group:default/announced","change":"deleted"}]""", deletion["changes"]!.ToJsonString());
    }

    private async Task<long> OutboxRowsAsync()
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM catalog.outbox", connection);
        return (long)(await command.ExecuteScalarAsync(Cancellation))!;
    }

    /// <summary>The EntitiesChanged messages in the outbox for one catalog version, in order.</summary>
    private async Task<List<JsonObject>> MessagesAsync(long catalogVersion)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("""
            SELECT message_type, body::text FROM catalog.outbox WHERE (body->>'catalogVersion')::bigint = @version ORDER BY position
            """, connection);
        command.Parameters.AddWithValue("version", catalogVersion);
        var messages = new List<JsonObject>();
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        while (await reader.ReadAsync(Cancellation))
        {
            Assert.Equal("Portal.Contracts.Catalog.EntitiesChanged", reader.GetString(0));
            messages.Add(JsonSerializer.Deserialize<JsonObject>(reader.GetString(1))!);
        }

        return messages;
    }
}
