using System.Diagnostics;
using System.Text.Json;
using Npgsql;

namespace Portal.Benchmarks;

/// <summary>One Backstage-shaped read: its requests (several rotate), the plain-SQL floor of the i-th request, and, for a
/// full-text read, its terms (one per request) and how a term's request reads, to check every term's total first.</summary>
internal sealed record BackstageRead(
    string Key, string Name, IReadOnlyList<string> Paths, Func<NpgsqlDataSource, int, Task> Floor,
    IReadOnlyList<string>? Terms = null, Func<string, string>? TermPath = null);

/// <summary>A measured Backstage-shaped read: right after the ingest (when this run ingested), in steady state, and the floor.</summary>
internal sealed record BackstageReadResult(BackstageRead Read, LoadResult? RightAfter, double? StartedSeconds, LoadResult Steady, LoadResult Floor);

/// <summary>
/// The reads Backstage's clients make most, over REST, as the Backstage harness sends them (same owner group, component,
/// term and fields, from the generated manifest): a team page (kind and owner), one entity by name, the spec.type facet
/// of components, and full-text search over name and title; and the same search rotating through
/// <see cref="FullTextTerms"/>. Measured right after the ingest (issue 14, item 4: all starting within 5 s of it, before
/// any VACUUM, prewarm or checkpoint) and again in steady state.
/// </summary>
internal sealed class BackstageReads
{
    // Each read right after the ingest runs this long, with no warm-up of its own: the four start within 5 s of it.
    private static readonly TimeSpan RightAfterDuration = TimeSpan.FromSeconds(1);

    private readonly FullTextTerms _terms;

    public BackstageReads(JsonElement load, FullTextTerms terms)
    {
        _terms = terms;
        var ownerRef = load.GetProperty("ownerRef").GetString()!;
        var component = load.GetProperty("component").GetString()!;
        var word = load.GetProperty("word").GetString()!;
        static string NameOrTitle(string term) =>
            $"/api/catalog/entities/by-query?fullTextFilterTerm={Uri.EscapeDataString(term)}&fullTextFilterFields=metadata.name,metadata.title&limit=20";
        Reads =
        [
            // The owner ref goes unescaped, as the harness sends it.
            new("byOwner", "by-query kind=component + spec.owner", [$"/api/catalog/entities/by-query?filter=kind=component,spec.owner={ownerRef}&limit=20"],
                (sql, _) => PlainSqlFloors.PageAsync(sql, ownerRef)),
            new("byName", "by-name", [$"/api/catalog/entities/by-name/component/default/{component}"],
                (sql, _) => PlainSqlFloors.ByRefAsync(sql, $"component:default/{component}")),
            new("facets", "entity-facets spec.type of components", ["/api/catalog/entity-facets?facet=spec.type&filter=kind=component"],
                (sql, _) => PlainSqlFloors.TypeFacetAsync(sql)),
            new("fullText", $"full-text '{word}' over name and title", [NameOrTitle(word)],
                (sql, _) => PlainSqlFloors.NameOrTitleSearchAsync(sql, word), [word], NameOrTitle),
            new("fullTextRotating", $"full-text over name and title, {terms.Terms.Count} terms", [.. terms.Terms.Select(NameOrTitle)],
                (sql, i) => PlainSqlFloors.NameOrTitleSearchAsync(sql, terms.Terms[i % terms.Terms.Count]), terms.Terms, NameOrTitle),
        ];
    }

    public IReadOnlyList<BackstageRead> Reads { get; }

    public BackstageRead this[string key] => Reads.Single(r => r.Key == key);

    /// <summary>
    /// Before the ingest, on the empty catalog: JIT tiers, connection and buffer pools on these very requests, so that
    /// the reads right after the ingest need no warm-up of their own (by-name answers 404 here, which is as good for it).
    /// </summary>
    public async Task WarmUpAsync(Uri baseAddress, int connections)
    {
        if (WrkLoad.Available)
        {
            foreach (var read in Reads)
            {
                await WrkLoad.WarmUpAsync(baseAddress, connections, TimeSpan.FromSeconds(2), [.. read.Paths.Select(p => (p, (string?)null))]);
            }
        }
    }

    /// <summary>
    /// The reads right after the ingest (<paramref name="sinceIngest"/> started when it finished): one collection first
    /// (the ingest's garbage, so that it is not collected in the middle of a read), then each read at once. Each start is
    /// recorded. The full-text totals are checked afterwards here, not before: a check first would delay the reads and
    /// warm the cache they are meant to meet cold, and no write comes in between.
    /// </summary>
    public async Task<List<(LoadResult Result, double StartedSeconds)>> RunRightAfterAsync(
        Uri baseAddress, int connections, GatewayLoad gateway, Stopwatch sinceIngest)
    {
        LoadRunner.Settle();
        var results = new List<(LoadResult, double)>();
        foreach (var read in Reads)
        {
            var started = sinceIngest.Elapsed.TotalSeconds;
            results.Add((await MeasureAsync(read, baseAddress, connections, gateway, RightAfterDuration, TimeSpan.Zero), started));
        }

        for (var i = 0; i < Reads.Count; i++)
        {
            if (await FirstMismatchAsync(Reads[i], gateway) is { } mismatch)
            {
                results[i] = (LoadResult.Failed(results[i].Item1.Name, connections, mismatch), results[i].Item2);
            }
        }

        return results;
    }

    /// <summary>The same reads in steady state, each warmed up, a full-text read only once its totals are checked; each
    /// with its floor.</summary>
    public async Task<List<(LoadResult Steady, LoadResult Floor)>> RunSteadyAsync(
        Uri baseAddress, int connections, GatewayLoad gateway, NpgsqlDataSource sql, TimeSpan duration)
    {
        var results = new List<(LoadResult, LoadResult)>();
        foreach (var read in Reads)
        {
            var steady = await FirstMismatchAsync(read, gateway) is { } mismatch
                ? LoadResult.Failed(read.Name, connections, mismatch)
                : await MeasureAsync(read, baseAddress, connections, gateway, duration, warmUp: null);
            var floor = await LoadRunner.RunAsync($"{read.Name} (plain SQL floor)", connections, duration, i => read.Floor(sql, i));
            results.Add((steady, floor));
        }

        return results;
    }

    /// <summary>Every term's total of a full-text read against the count from the generated files (null when right).</summary>
    public Task<string?> FirstMismatchAsync(BackstageRead read, GatewayLoad gateway) => read is { Terms: { } terms, TermPath: { } path }
        ? FullTextTerms.FirstMismatchAsync(terms, gateway, t => (path(t), null), a => a.GetProperty("totalItems").GetInt32(), _terms.NameOrTitleMatches)
        : Task.FromResult<string?>(null);

    /// <summary>
    /// One line per read: right after the ingest (when it started), steady state, the floor's p50, Portal's steady p50 over
    /// the floor's (target at 100k: within 2x) and right after over steady (p50, and req/s; target: within 2x).
    /// </summary>
    public static void Print(IReadOnlyList<BackstageReadResult> results)
    {
        foreach (var (read, rightAfter, started, steady, floor) in results)
        {
            static string Figure(LoadResult result) => result.Failure is not null ? $"FAILED: {result.Failure}" : $"{result.PerSecond,7:F0} req/s, p50 {result.P50,7:F2} ms";
            var first = rightAfter is null ? "no fresh ingest in this run" : $"{Figure(rightAfter)} (started {started:F1} s after the ingest)";
            var ratios = steady.Failure is not null ? "" : $" | floor p50 {floor.P50,6:F2} ms, p50 vs floor {steady.P50 / floor.P50,5:F2}x"
                + (rightAfter is { Failure: null } ? $" | right after vs steady: p50 {rightAfter.P50 / steady.P50:F2}x, req/s {rightAfter.PerSecond / steady.PerSecond:P0}" : "");
            Console.WriteLine($"  {read.Name,-44} right after: {first} | steady: {Figure(steady)}{ratios}");
        }
    }

    private static Task<LoadResult> MeasureAsync(
        BackstageRead read, Uri baseAddress, int connections, GatewayLoad gateway, TimeSpan duration, TimeSpan? warmUp) => WrkLoad.Available
        ? WrkLoad.RunAsync(read.Name, baseAddress, connections, duration, [.. read.Paths.Select(p => (p, (string?)null))], warmUp: warmUp)
        : LoadRunner.RunAsync(read.Name, connections, duration, i => gateway.GetAsync(read.Paths[i % read.Paths.Count]));
}
