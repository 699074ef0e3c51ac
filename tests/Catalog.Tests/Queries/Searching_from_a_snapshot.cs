using System.Text;
using Npgsql;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Queries;

/// <summary>
/// Full-text search without other conditions is answered from an in-memory snapshot of the catalog's searchable text
/// (decision 0010). It must give exactly what the SQL gives (items, order, totals, pages and cursors), and never an
/// answer of an older catalog: a write, here or by another replica, is in the very next answer.
/// </summary>
public sealed class Searching_from_a_snapshot(ModuleHost app) : IClassFixture<ModuleHost>
{
    private static readonly string[] Words = ["ledger", "billing", "Payments", "checkout", "audit", "Zürich", "50%_off", @"back\slash"];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    private FullTextIndex Index => app.Get<FullTextIndex>();

    [Fact]
    public async Task A_search_answered_from_the_snapshot_equals_the_same_search_in_SQL()
    {
        await RegisterAsync("catalog-info.yaml", Enumerable.Range(0, 300).Select(Entity));
        await SnapshotOfNowAsync();

        var terms = new[]
        {
            "ledger", "LEDGER", "  ledger ", "led", "le", "r", "ger-00", "payments ledger", "synthetic", "java", "\"java\"", "zürich",
            "50%", "%", "_", "50%_off", @"\", @"back\slash", "0042", "nothing-matches-this", "description only",
        };
        IReadOnlyList<string>?[] fieldSets =
        [
            null, ["metadata.name"], ["metadata.name", "metadata.title"], ["METADATA.TITLE"], ["metadata.description"], ["metadata.tags"],
            ["metadata.name", "metadata.name"],
        ];
        var answersBefore = Index.Answers;
        var compared = 0;
        foreach (var term in terms)
        {
            foreach (var fields in fieldSets)
            {
                foreach (var (limit, offset) in new[] { (20, 0), (7, 3), (0, 0), (500, 0) })
                {
                    var search = new FullTextFilter(term, fields);
                    var fromSnapshot = await Queries.QueryAsync(new EntityQuery { FullText = search, Limit = limit, Offset = offset }, Cancellation);

                    // An empty set of filters matches everything, as no filter does, but makes the query SQL's.
                    var fromSql = await Queries.QueryAsync(new EntityQuery { FullText = search, Filter = EntityFilter.All(), Limit = limit, Offset = offset }, Cancellation);

                    var what = $"'{term}' over {(fields is null ? "the default fields" : string.Join(",", fields))}, limit {limit} offset {offset}";
                    Assert.True(fromSql.TotalCount == fromSnapshot.TotalCount, $"{what}: total {fromSnapshot.TotalCount}, SQL {fromSql.TotalCount}");
                    Assert.True(fromSql.Items.Select(e => e.Ref).SequenceEqual(fromSnapshot.Items.Select(e => e.Ref)), what);
                    Assert.Equal(fromSql.HasMore, fromSnapshot.HasMore);
                    compared++;
                }
            }
        }

        // Each of those was the snapshot's answer (none fell back to SQL), and many matched something.
        Assert.Equal(compared, Index.Answers - answersBefore);
        var ledger = await Queries.QueryAsync(new EntityQuery { FullText = new FullTextFilter("ledger", ["metadata.name", "metadata.title"]), Limit = 5 }, Cancellation);
        Assert.InRange(ledger.TotalCount!.Value, 20, 400);
    }

    [Fact]
    public async Task Cursor_paging_through_a_search_visits_every_match_once_in_ref_order()
    {
        await RegisterAsync("paging.yaml", Enumerable.Range(300, 120).Select(Entity));
        await SnapshotOfNowAsync();
        var search = new FullTextFilter("entity-003"); // this test's own entities 300 to 399, whatever the others wrote
        var expected = (await Queries.QueryAsync(new EntityQuery { FullText = search, Filter = EntityFilter.All(), Limit = 1000 }, Cancellation)).Items.Select(e => e.Ref).ToList();

        var answersBefore = Index.Answers;
        var seen = new List<string>();
        var page = await Queries.QueryAsync(new EntityQuery { FullText = search, Limit = 6 }, Cancellation);
        for (var pages = 0; pages < 1000; pages++)
        {
            Assert.Equal(expected.Count, page.TotalCount);
            seen.AddRange(page.Items.Select(e => e.Ref));
            if (page.NextCursor is null)
            {
                break;
            }

            page = await Queries.QueryAsync(new EntityQuery { Cursor = page.NextCursor, Limit = 6 }, Cancellation);
        }

        Assert.Equal(100, expected.Count);
        Assert.Equal(expected, seen);
        Assert.True(Index.Answers - answersBefore > 2);
    }

    [Fact]
    public async Task A_write_by_another_replica_is_in_the_next_answer_before_the_snapshot_is_rebuilt()
    {
        await RegisterAsync("replica.yaml", Enumerable.Range(500, 50).Select(Entity));
        var snapshot = await SnapshotOfNowAsync();

        // Another replica's write: the entity's text and the catalog's version change in one transaction, and nothing
        // in this process hears of it.
        await using (var connection = new NpgsqlConnection(app.ConnectionString))
        {
            await connection.OpenAsync(Cancellation);
            await using var write = new NpgsqlCommand("""
                UPDATE catalog.entities SET title = 'Xylophone', search_text = search_text || ' xylophone' WHERE ref = 'component:default/entity-00510';
                UPDATE catalog.catalog_state SET version = version + 1 WHERE id = 1;
                """, connection);
            await write.ExecuteNonQueryAsync(Cancellation);
        }

        var page = await Queries.QueryAsync(new EntityQuery { FullText = new FullTextFilter("xylophone", ["metadata.title"]), Limit = 20 }, Cancellation);

        Assert.Equal(["component:default/entity-00510"], page.Items.Select(e => e.Ref));
        Assert.Equal(1, page.TotalCount);

        // And the search asked for a snapshot of the new version, which answers the next ones.
        var rebuilt = await SnapshotOfNowAsync();
        Assert.True(rebuilt.Version > snapshot.Version);
        var answersBefore = Index.Answers;
        page = await Queries.QueryAsync(new EntityQuery { FullText = new FullTextFilter("xylophone", ["metadata.title"]), Limit = 20 }, Cancellation);
        Assert.Equal(["component:default/entity-00510"], page.Items.Select(e => e.Ref));
        Assert.Equal(answersBefore + 1, Index.Answers);
    }

    [Fact]
    public async Task A_write_here_is_in_the_next_answer_and_deleted_entities_leave_it()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("here.yaml", string.Join("\n---\n", Enumerable.Range(600, 30).Select(Entity)));
        var location = await app.Get<LocationService>().RegisterAsync("file", file, Cancellation);
        await SnapshotOfNowAsync();
        var search = new FullTextFilter("entity-0061");
        Assert.Equal(10, (await Queries.QueryAsync(new EntityQuery { FullText = search, Limit = 20 }, Cancellation)).TotalCount);

        // The location now emits only the first five entities: the other twenty-five are deleted.
        await File.WriteAllTextAsync(file, string.Join("\n---\n", Enumerable.Range(600, 5).Select(Entity)), Cancellation);
        await app.Get<LocationService>().RefreshAsync(location!.Location.Id, Cancellation);

        var page = await Queries.QueryAsync(new EntityQuery { FullText = search, Limit = 20 }, Cancellation);
        Assert.Equal(0, page.TotalCount);
        Assert.Empty(page.Items);
    }

    private async Task RegisterAsync(string name, IEnumerable<string> entities)
    {
        using var folder = new CatalogFolder();
        await app.Get<LocationService>().RegisterAsync("file", folder.Write(name, string.Join("\n---\n", entities)), Cancellation);
    }

    /// <summary>Searches until the snapshot is of the catalog's current version (it is built in the background).</summary>
    private async Task<FullTextSnapshot> SnapshotOfNowAsync()
    {
        var version = await Queries.CatalogVersionAsync(Cancellation);
        for (var attempt = 0; attempt < 200; attempt++)
        {
            await Queries.QueryAsync(new EntityQuery { FullText = new FullTextFilter("x"), Limit = 1 }, Cancellation);
            if (Index.Current is { } current && current.Version == version)
            {
                return current;
            }

            await Task.Delay(50, Cancellation);
        }

        throw new TimeoutException($"No full-text snapshot of catalog version {version} within 10 s");
    }

    // Names, titles, descriptions and tags from a small vocabulary, so terms match in some fields and not others.
    private static string Entity(int i)
    {
        var word = Words[i % Words.Length];
        var other = Words[(i / Words.Length) % Words.Length];
        var title = i % 3 == 0 ? $"\n  title: '{other} {word}'" : "";
        var description = i % 4 == 0 ? $"\n  description: 'Description only {Words[(i + 3) % Words.Length]}'" : "";
        var yaml = new StringBuilder($"""
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: entity-{i:D5}{title}{description}
              tags: [java, {(i % 2 == 0 ? "go" : "rust")}]
            spec:
              type: service
              lifecycle: production
              owner: team-a
            """);
        return yaml.ToString();
    }
}

/// <summary>A catalog larger than Catalog:Search:MaxIndexedEntities is searched by SQL only: no snapshot is held.</summary>
public sealed class Searching_a_catalog_too_large_for_a_snapshot(Searching_a_catalog_too_large_for_a_snapshot.SmallLimit app)
    : IClassFixture<Searching_a_catalog_too_large_for_a_snapshot.SmallLimit>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Searches_are_answered_by_SQL_and_no_snapshot_is_kept()
    {
        using var folder = new CatalogFolder();
        var yaml = string.Join("\n---\n", Enumerable.Range(0, 12).Select(i => CatalogFolder.Component($"large-{i:D2}")));
        await app.Get<LocationService>().RegisterAsync("file", folder.Write("catalog-info.yaml", yaml), Cancellation);
        var queries = app.Get<EntityQueryService>();
        var index = app.Get<FullTextIndex>();

        // Long enough for a build to have been tried several times over (each is a few milliseconds here).
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var page = await queries.QueryAsync(new EntityQuery { FullText = new FullTextFilter("large-0"), Limit = 5 }, Cancellation);
            Assert.Equal(10, page.TotalCount);
            Assert.Equal(["component:default/large-00", "component:default/large-01", "component:default/large-02", "component:default/large-03", "component:default/large-04"],
                page.Items.Select(e => e.Ref));
            await Task.Delay(50, Cancellation);
        }

        Assert.Null(index.Current);
        Assert.Equal(0, index.Answers);
    }

    public sealed class SmallLimit : ModuleHost
    {
        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Catalog:Search:MaxIndexedEntities"] = "5",
        };
    }
}
