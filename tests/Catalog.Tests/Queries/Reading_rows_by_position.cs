using Npgsql;
using Portal.Catalog.Queries;

namespace Portal.Catalog.Tests.Queries;

/// <summary>
/// Rows are read by column position: every select list (one per combination of parts) must hold exactly the columns
/// the reader walks, so a page's sort keys, which follow them, are where the reader looks.
/// </summary>
public sealed class Reading_rows_by_position(AcmeCatalog app) : IClassFixture<AcmeCatalog>
{
    public static TheoryData<int> EveryCombinationOfParts =>
        [.. Enumerable.Range(0, (int)(EntityParts.All | EntityParts.DanglingWarnings) + 1)];

    [Theory]
    [MemberData(nameof(EveryCombinationOfParts))]
    public async Task Every_select_list_has_the_columns_the_reader_walks_and_reads_back_what_it_asked_for(int combination)
    {
        var parts = (EntityParts)combination;
        await using var connection = new NpgsqlConnection(app.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(
            $"SELECT {EntityQueryService.ColumnsFor(parts)}, 'first sort key' FROM catalog.entities e WHERE e.ref = 'component:default/payments-api'", connection);

        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));

        Assert.Equal(EntityQueryService.EntityColumnCount + 1, reader.FieldCount);
        Assert.Equal("first sort key", reader.GetString(EntityQueryService.EntityColumnCount));
        var read = (await app.Get<EntityQueryService>().GetManyAsync(["component:default/payments-api"], parts, TestContext.Current.CancellationToken))[0]!;
        Assert.Equal(parts, read.Parts);
        Assert.Equal("payments-api", read.Name);
    }
}
