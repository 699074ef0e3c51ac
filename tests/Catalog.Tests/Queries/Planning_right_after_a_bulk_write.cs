using System.Text;
using Npgsql;
using Portal.Catalog.Locations;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Queries;

/// <summary>
/// A bulk write (a location's first ingestion) leaves PostgreSQL's planner with statistics of what it wrote, so a
/// reader asking at once gets the indexed plan, not one made for an empty table (the first minute after a 10k ingest
/// answered a team page 70 times slower, until autovacuum analyzed the table).
/// </summary>
public sealed class Planning_right_after_a_bulk_write(ModuleHost app) : IClassFixture<ModuleHost>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_team_page_query_uses_the_facts_index_with_no_wait_after_the_ingest()
    {
        using var folder = new CatalogFolder();
        var yaml = new StringBuilder();
        for (var i = 0; i < 4000; i++)
        {
            yaml.Append(CatalogFolder.Component($"bulk-{i:D4}", owner: $"team-{i % 40}")).Append("\n---\n");
        }

        await app.Get<LocationService>().RegisterAsync("file", folder.Write("catalog-info.yaml", yaml.ToString()), Cancellation);

        // At once: the planner's estimates for the page query of one team's components, as the catalog sends it
        // (spec.owner as a facts containment), and for all components. Plans follow the estimates; a table the
        // statistics still take for empty gets plans made for an empty table.
        var components = await EstimatedRowsAsync("SELECT e.ref FROM catalog.entities e WHERE e.kind = 'component'");
        var teamPage = await EstimatedRowsAsync("""
            SELECT e.ref FROM catalog.entities e WHERE e.kind = 'component' AND e.facts @> '{"spec.owner": ["team-7"]}'::jsonb
            """);

        Assert.InRange(components, 2000, 8000); // 4,000 written
        Assert.InRange(teamPage, 50, 200); // 100 written
    }

    private async Task<double> EstimatedRowsAsync(string sql)
    {
        using var plan = System.Text.Json.JsonDocument.Parse(await PlanAsync(sql));
        return plan.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
    }

    private async Task<string> PlanAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + sql, connection);
        return (string)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
