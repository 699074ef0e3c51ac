using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Portal.Testing;

namespace Portal.Benchmarks;

/// <summary>What Portal's run measured, for the comparison with Backstage: its ingest, its Backstage-shaped reads and its
/// answers to the compared requests.</summary>
internal sealed record PortalSide(
    JsonNode Manifest, int Entities, double IngestSeconds, long Relations, long ExpectedRelations,
    IReadOnlyList<BackstageReadResult> Reads, int SteadySeconds, IReadOnlyDictionary<string, Answer> Answers);

/// <summary>One answer to a compared request: its body, or why there is none.</summary>
internal sealed record Answer(JsonNode? Body, string? Error);

/// <summary>
/// Portal beside stock Backstage (issue 14, item 5). After Portal's own measurement, the shared Backstage harness runs
/// stock Backstage's catalog on the same generated catalog (its generator writes the same entities for the same size and
/// seed) and measures the same four reads; its results are printed beside Portal's, with the ratios. While the
/// harness's Backstage is up (after its ingest, before its first measured run), the same requests Portal answered are
/// sent to it, and the answers are compared.
/// </summary>
internal static partial class BackstageComparison
{
    // The harness writes beside itself (node_modules, its generated data, results), and may lie read-only: it runs from a
    // copy, kept between runs so that its npm install and generated data are reused.
    private static readonly string HarnessCopy = Path.Combine(Path.GetTempPath(), "portal-backstage-harness");

    // The harness's names of the four reads (its results carry them), in its order.
    private static readonly string[] ReadKeys = ["byOwner", "byName", "facets", "fullText"];

    // The kinds the generator writes: each side also has Location entities of its own (Portal the one registered,
    // Backstage one per configured file), so the term totals compare the generated kinds only.
    private static readonly string[] GeneratedKinds = ["domain", "system", "group", "user", "component", "api", "resource"];

    /// <summary>
    /// The requests whose answers are compared: the four reads as measured; the two pages again ordered by name
    /// (without orderField Backstage orders a page by entity id, a random uid each side draws for itself, so only an order
    /// both share can compare items); and each full-text term's total over name and title.
    /// </summary>
    public static IReadOnlyList<(string Name, string Path)> AnswerRequests(BackstageReads reads, FullTextTerms terms)
    {
        var kinds = string.Concat(GeneratedKinds.Select(k => $"&filter=kind={k}"));
        return
        [
            ("byOwner", reads["byOwner"].Paths[0]),
            ("byOwner ordered by name", reads["byOwner"].Paths[0] + "&orderField=metadata.name,asc"),
            ("byName", reads["byName"].Paths[0]),
            ("facets", reads["facets"].Paths[0]),
            ("fullText", reads["fullText"].Paths[0]),
            ("fullText ordered by name", reads["fullText"].Paths[0] + "&orderField=metadata.name,asc"),
            .. terms.Terms.Select(t => ($"term {t}",
                $"/api/catalog/entities/by-query?fullTextFilterTerm={Uri.EscapeDataString(t)}&fullTextFilterFields=metadata.name,metadata.title&limit=1{kinds}")),
        ];
    }

    /// <summary>Sends the requests one after another; once <paramref name="budget"/> is spent, the rest are not sent.</summary>
    public static async Task<Dictionary<string, Answer>> FetchAnswersAsync(
        Uri baseAddress, IReadOnlyList<(string Name, string Path)> requests, TimeSpan? budget = null)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var answers = new Dictionary<string, Answer>();
        var clock = Stopwatch.StartNew();
        foreach (var (name, path) in requests)
        {
            if (clock.Elapsed > budget)
            {
                break;
            }

            try
            {
                using var response = await http.GetAsync(path);
                var text = await response.Content.ReadAsStringAsync();
                answers[name] = response.IsSuccessStatusCode
                    ? new Answer(JsonNode.Parse(text), null)
                    : new Answer(null, $"{(int)response.StatusCode} {text[..Math.Min(text.Length, 200)]}");
            }
            catch (HttpRequestException exception)
            {
                answers[name] = new Answer(null, exception.Message);
            }
        }

        return answers;
    }

    /// <summary>Runs the harness (<c>run.sh N pg</c> and any extra options), then prints the figures and the answers.</summary>
    public static async Task RunAsync(int n, PortalSide portal, IReadOnlyList<string> harnessOptions, IReadOnlyList<(string Name, string Path)> requests)
    {
        // It runs PostgreSQL as the postgres user, from the Debian server binaries.
        if (!OperatingSystem.IsLinux())
        {
            Console.WriteLine("Backstage: its harness runs on Linux only; nothing to compare");
            return;
        }

        CopyHarness(SharedFiles.Path("bench", "backstage"), HarnessCopy);
        Console.WriteLine();
        Console.WriteLine($"Backstage: its harness on {n} entities (run.sh {n} pg {string.Join(' ', harnessOptions)}); its lines follow, marked 'backstage |'");

        var start = new ProcessStartInfo("bash") { WorkingDirectory = HarnessCopy, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "run.sh", n.ToString(CultureInfo.InvariantCulture), "pg" }.Concat(harnessOptions))
        {
            start.ArgumentList.Add(argument);
        }

        var startedAt = DateTime.UtcNow;
        using var harness = Process.Start(start)!;
        var errors = PrintLinesAsync(harness.StandardError, _ => { });
        Task<Dictionary<string, Answer>>? backstageAnswers = null;
        var fetchClock = new Stopwatch();
        int? port = null;
        await PrintLinesAsync(harness.StandardOutput, line =>
        {
            if (BackendLine().Match(line) is { Success: true } backend)
            {
                port = int.Parse(backend.Groups[1].Value, CultureInfo.InvariantCulture);
            }

            // Its Backstage has every entity and relation now, and pauses 2 s, reads its memory and database size, then
            // warms each read up for 5 s before its first measured run: the answers are fetched in that time, the four reads'
            // first, then as many term totals as 5 s allow (Backstage answered them all in 3 s in one run, in 9 s in another).
            if (line.Contains("ingested+stitched in", StringComparison.Ordinal) && port is { } p)
            {
                fetchClock.Start();
                backstageAnswers = Task.Run(async () =>
                {
                    var answers = await FetchAnswersAsync(new Uri($"http://127.0.0.1:{p}"), requests, TimeSpan.FromSeconds(5));
                    fetchClock.Stop();
                    return answers;
                });
            }
        });
        await harness.WaitForExitAsync();
        await errors;

        var resultFile = Directory.Exists(Path.Combine(HarnessCopy, "results"))
            ? new DirectoryInfo(Path.Combine(HarnessCopy, "results")).GetFiles("*.json").Where(f => f.LastWriteTimeUtc >= startedAt)
                .OrderByDescending(f => f.LastWriteTimeUtc).FirstOrDefault()
            : null;
        Console.WriteLine();
        if (resultFile is null)
        {
            Console.WriteLine($"Backstage: the harness wrote no results (exit code {harness.ExitCode}); nothing to compare");
            Environment.ExitCode = 1;
            return;
        }

        var result = JsonNode.Parse(await File.ReadAllTextAsync(resultFile.FullName))!;
        CheckSameCatalog(portal.Manifest, result);
        if (result["error"] is { } error)
        {
            Console.WriteLine($"Backstage: the harness failed: {error.GetValue<string>().Split('\n')[0]}");
            Environment.ExitCode = 1;
        }
        else
        {
            PrintFigures(n, portal, result);
        }

        if (backstageAnswers is null)
        {
            Console.WriteLine("answers: not compared, the harness's Backstage never reported its ingest finished");
            return;
        }

        var answers = await backstageAnswers;
        Console.WriteLine();
        Console.WriteLine($"Answers, Portal vs Backstage, the same requests to both ({answers.Count} of {requests.Count} requests sent to Backstage, in {fetchClock.Elapsed.TotalSeconds:F1} s"
            + $" after its ingest{(fetchClock.Elapsed.TotalSeconds < 6 ? ", before its first measured run" : "; that may have overlapped its first measured run")});"
            + " without orderField Backstage orders a page by entity id, a random uid each catalog draws for itself, so the pages are compared again ordered by name:");
        PrintAnswers(portal.Answers, answers);
    }

    private static void PrintFigures(int n, PortalSide portal, JsonNode result)
    {
        var endpoints = result["endpoints"]!;
        var reps = endpoints["byOwner"]?["reps"]?.AsArray().Count ?? 0;
        Console.WriteLine($"Portal vs stock Backstage, {n} entities, wrk -t1 -c16 on both (Backstage: median of {reps} runs after a warm-up, its processing loop running;"
            + $" Portal: right after the ingest 1 s each, before any warm-up of the catalog, steady {portal.SteadySeconds} s each after a warm-up); ratios: Portal's req/s over Backstage's, target 10x");
        Console.WriteLine($"  {"read",-9} {"Backstage",21} | {"Portal right after",21} | {"Portal steady",21} | {"right after",11} {"steady",8}");
        foreach (var key in ReadKeys)
        {
            var backstage = endpoints[key]!["median"]!;
            var rps = backstage["rps"]!.GetValue<double>();
            var read = portal.Reads.Single(r => r.Read.Key == key);
            static string Figure(double perSecond, double p50) => $"{perSecond,7:F0} /s {p50,7:F2} ms";
            static string Ratio(LoadResult? ours, double theirs) => ours is null or { Failure: not null } ? "-" : $"{ours.PerSecond / theirs:F1}x";
            Console.WriteLine($"  {key,-9} {Figure(rps, backstage["p50_ms"]!.GetValue<double>()),21} | "
                + $"{(read.RightAfter is { Failure: null } first ? Figure(first.PerSecond, first.P50) : "-"),21} | "
                + $"{(read.Steady is { Failure: null } steady ? Figure(steady.PerSecond, steady.P50) : "failed"),21} | "
                + $"{Ratio(read.RightAfter, rps),11} {Ratio(read.Steady, rps),8}");
        }

        var ingest = result["ingest"]!;
        var backstageSeconds = ingest["readyS"]!.GetValue<double>();
        var relations = portal.Relations == portal.ExpectedRelations
            ? $"all {portal.Relations} relations present when it returned"
            : $"{portal.Relations} of {portal.ExpectedRelations} relations present: not complete";
        Console.WriteLine($"  ingestion until every relation is present: Backstage {backstageSeconds:F1} s ({ingest["entitiesPerS"]} entities/s; from its start,"
            + $" its HTTP up after {ingest["httpUpS"]} s), Portal {portal.IngestSeconds:F1} s ({portal.Entities / portal.IngestSeconds:F0} entities/s; {relations}):"
            + $" {backstageSeconds / portal.IngestSeconds:F1}x");
    }

    private static void PrintAnswers(IReadOnlyDictionary<string, Answer> portal, Dictionary<string, Answer> backstage)
    {
        var totals = new List<string>();
        var (termCount, notSent) = (0, 0);
        foreach (var (name, ours) in portal)
        {
            var isTerm = name.StartsWith("term ", StringComparison.Ordinal);
            if (isTerm && !backstage.ContainsKey(name))
            {
                notSent++;
                continue;
            }

            var theirs = backstage.GetValueOrDefault(name) ?? new Answer(null, "not sent in time");
            if (ours.Body is null || theirs.Body is null)
            {
                Console.WriteLine($"  {name,-26} not compared: Portal {ours.Error ?? "answered"}, Backstage {theirs.Error ?? "answered"}");
                continue;
            }

            if (isTerm)
            {
                termCount++;
                var (a, b) = (ours.Body["totalItems"]?.GetValue<int>(), theirs.Body["totalItems"]?.GetValue<int>());
                if (a != b)
                {
                    totals.Add($"'{name[5..]}' Portal {a}, Backstage {b}");
                }

                continue;
            }

            var difference = name switch
            {
                "byName" => CompareEntities(ours.Body, theirs.Body),
                "facets" => CompareFacets(ours.Body, theirs.Body),
                _ => ComparePages(ours.Body, theirs.Body),
            };
            Console.WriteLine($"  {name,-26} {difference}");
        }

        var unsent = notSent > 0 ? $"; {notSent} more not sent, to keep clear of Backstage's measurement" : "";
        Console.WriteLine(totals.Count == 0
            ? $"  {"term totals",-26} identical for all {termCount} terms compared (name and title, generated kinds only){unsent}"
            : $"  {"term totals",-26} {totals.Count} of {termCount} compared differ (name and title, generated kinds only), first {totals[0]}{unsent}");
    }

    private static string ComparePages(JsonNode ours, JsonNode theirs)
    {
        var (total, theirTotal) = (ours["totalItems"]?.GetValue<int>(), theirs["totalItems"]?.GetValue<int>());
        var refs = Refs(ours);
        var theirRefs = Refs(theirs);
        var totalText = total == theirTotal ? $"totalItems {total} same" : $"totalItems differ: Portal {total}, Backstage {theirTotal}";
        var first = Enumerable.Range(0, Math.Max(refs.Count, theirRefs.Count)).FirstOrDefault(i => refs.ElementAtOrDefault(i) != theirRefs.ElementAtOrDefault(i), -1);
        if (first < 0)
        {
            return total == theirTotal ? $"identical: totalItems {total}, the same {refs.Count} items in the same order" : $"{totalText}; the same {refs.Count} items";
        }

        var sameSet = refs.Order(StringComparer.Ordinal).SequenceEqual(theirRefs.Order(StringComparer.Ordinal));
        return $"{totalText}; items differ{(sameSet ? " in order only" : "")}, first at #{first + 1}: Portal {refs.ElementAtOrDefault(first) ?? "(none)"}, Backstage {theirRefs.ElementAtOrDefault(first) ?? "(none)"}"
            + $" ({refs.Intersect(theirRefs).Count()} of {refs.Count} refs in both)";
    }

    private static string CompareEntities(JsonNode ours, JsonNode theirs)
    {
        var (entity, theirEntity) = (Ref(ours), Ref(theirs));
        if (entity != theirEntity)
        {
            return $"differ: Portal {entity}, Backstage {theirEntity}";
        }

        // Relations are a set; each side lists them in an order of its own.
        static List<string> Relations(JsonNode e) => [.. (e["relations"]?.AsArray() ?? []).Select(r => $"{r!["type"]} {r["targetRef"]}").Order(StringComparer.Ordinal)];
        var (relations, theirRelations) = (Relations(ours), Relations(theirs));
        if (!relations.SequenceEqual(theirRelations))
        {
            return $"{entity}: relations differ, Portal [{string.Join(", ", relations.Except(theirRelations))}] not in Backstage's, Backstage [{string.Join(", ", theirRelations.Except(relations))}] not in Portal's";
        }

        if (FirstDifference(ours["spec"], theirs["spec"], "spec") is { } difference)
        {
            return $"{entity}: the same {relations.Count} relations, but {difference}";
        }

        // JSON objects are unordered, but a client that prints them shows the order it was given.
        var (keys, theirKeys) = (Keys(ours["spec"]), Keys(theirs["spec"]));
        return $"identical: {entity}, the same {relations.Count} relations and spec"
            + (keys == theirKeys ? "" : $" (its keys in another order: Portal {keys}, Backstage {theirKeys})");
    }

    /// <summary>The first place two JSON values differ (objects compared by key, arrays by position), or null.</summary>
    private static string? FirstDifference(JsonNode? ours, JsonNode? theirs, string path)
    {
        switch (ours, theirs)
        {
            case (JsonObject a, JsonObject b):
                foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)))
                {
                    if (FirstDifference(a[key], b[key], $"{path}.{key}") is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case (JsonArray a, JsonArray b):
                for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
                {
                    if (FirstDifference(a.ElementAtOrDefault(i), b.ElementAtOrDefault(i), $"{path}[{i}]") is { } inner)
                    {
                        return a.Count == b.Count && a.Select(x => x?.ToJsonString()).Order().SequenceEqual(b.Select(x => x?.ToJsonString()).Order())
                            ? $"{path} holds the same values in another order: Portal {a.ToJsonString()}, Backstage {b.ToJsonString()}"
                            : inner;
                    }
                }

                return null;
            default:
                return JsonNode.DeepEquals(ours, theirs) ? null : $"{path} differs: Portal {ours?.ToJsonString() ?? "absent"}, Backstage {theirs?.ToJsonString() ?? "absent"}";
        }
    }

    private static string Keys(JsonNode? node) => node is JsonObject o ? string.Join(",", o.Select(p => p.Key)) : "";

    private static string CompareFacets(JsonNode ours, JsonNode theirs)
    {
        static List<string> Values(JsonNode f) => [.. (f["facets"]?["spec.type"]?.AsArray() ?? []).Select(v => $"{v!["value"]} {v["count"]}")];
        var (values, theirValues) = (Values(ours), Values(theirs));
        if (values.SequenceEqual(theirValues))
        {
            return $"identical: {string.Join(", ", values)}";
        }

        var first = Enumerable.Range(0, Math.Max(values.Count, theirValues.Count)).First(i => values.ElementAtOrDefault(i) != theirValues.ElementAtOrDefault(i));
        return $"differ at #{first + 1}: Portal [{string.Join(", ", values)}], Backstage [{string.Join(", ", theirValues)}]";
    }

    private static List<string> Refs(JsonNode page) => [.. (page["items"]?.AsArray() ?? []).Select(i => Ref(i!))];

    private static string Ref(JsonNode entity) =>
        $"{entity["kind"]?.GetValue<string>().ToLowerInvariant()}:{entity["metadata"]?["namespace"]?.GetValue<string>() ?? "default"}/{entity["metadata"]?["name"]?.GetValue<string>()}";

    /// <summary>The harness generates its own copy of the catalog: say so if it is not the one Portal measured.</summary>
    private static void CheckSameCatalog(JsonNode ours, JsonNode result)
    {
        var same = JsonNode.DeepEquals(ours["load"], result["load"]) && JsonNode.DeepEquals(ours["counts"], result["counts"])
            && ours["expectedRelationsTotal"]?.GetValue<int>() == result["expectedRelationsTotal"]?.GetValue<int>();
        Console.WriteLine(same
            ? $"Backstage: the same generated catalog as Portal's (counts per kind, {result["expectedRelationsTotal"]} relations, load values)"
            : $"Backstage: NOT the same generated catalog as Portal's: Portal {ours["load"]?.ToJsonString()}, Backstage {result["load"]?.ToJsonString()}");
    }

    /// <summary>Copies the harness's own files (not what it writes beside them), writable.</summary>
    [SupportedOSPlatform("linux")]
    private static void CopyHarness(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            var target = Path.Combine(to, Path.GetFileName(file));
            if (File.Exists(target))
            {
                File.SetUnixFileMode(target, File.GetUnixFileMode(target) | UnixFileMode.UserWrite);
            }

            File.Copy(file, target, overwrite: true);
            File.SetUnixFileMode(target, File.GetUnixFileMode(file) | UnixFileMode.UserWrite);
        }
    }

    private static async Task PrintLinesAsync(StreamReader reader, Action<string> onLine)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            Console.WriteLine($"  backstage | {line}");
            onLine(line);
        }
    }

    [GeneratedRegex(@"backend pid \d+ port (\d+)")]
    private static partial Regex BackendLine();
}
