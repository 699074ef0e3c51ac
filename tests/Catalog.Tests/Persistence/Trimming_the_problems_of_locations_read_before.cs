using System.Text.Json;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Npgsql;
using Portal.Catalog.Model;
using Portal.Catalog.Persistence.Migrations;
using Portal.Testing;

namespace Portal.Catalog.Tests.Persistence;

/// <summary>
/// The migration that added <c>problem_count</c> counts the problems a location stored before it and keeps the first
/// 100 of them, as a refresh now does, so a location nobody refreshes is bounded too.
/// </summary>
public sealed class Trimming_the_problems_of_locations_read_before(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_location_of_150_stored_problems_keeps_the_first_100_and_counts_150_and_a_clean_one_stays_clean()
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(Cancellation);
        var problems = Enumerable.Range(1, 150).Select(i => new CatalogProblem(ProblemLevel.Error, "old.yaml", i, "metadata.name", "not a name")).ToList();
        await ExecuteAsync(connection, """
            INSERT INTO catalog.locations (id, type, target, created_at, problems)
            VALUES ('00000000-0000-0000-0000-000000000001', 'file', '/old/many.yaml', now(), @problems::jsonb),
                   ('00000000-0000-0000-0000-000000000002', 'file', '/old/clean.yaml', now(), NULL)
            """, JsonSerializer.Serialize(problems));

        foreach (var sql in new ProblemCount().UpOperations.OfType<SqlOperation>())
        {
            await ExecuteAsync(connection, sql.Sql);
        }

        await using var select = new NpgsqlCommand(
            "SELECT target, problem_count, problems::text FROM catalog.locations ORDER BY target", connection);
        await using var reader = await select.ExecuteReaderAsync(Cancellation);
        Assert.True(await reader.ReadAsync(Cancellation));
        Assert.Equal("/old/clean.yaml", reader.GetString(0));
        Assert.Equal(0, reader.GetInt32(1));
        Assert.True(reader.IsDBNull(2));
        Assert.True(await reader.ReadAsync(Cancellation));
        Assert.Equal(150, reader.GetInt32(1));
        var kept = JsonSerializer.Deserialize<List<CatalogProblem>>(reader.GetString(2))!;
        Assert.Equal(problems.Take(100), kept);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, string? problems = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (problems is not null)
        {
            command.Parameters.AddWithValue("problems", problems);
        }

        await command.ExecuteNonQueryAsync(Cancellation);
    }
}
