using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Portal.Benchmarks;

/// <summary>
/// Drives the gateway with wrk, an HTTP load generator outside this process, when it is installed: the gateway then
/// shares neither its garbage collector nor its thread pool with the client, as in production. Each run is preceded by
/// a warm-up run (JIT tiers, plans, pools) that is not counted.
/// The client is kept as light as wrk allows, since it takes its CPU from the two cores the gateway is measured on: a
/// single request is built once (no script per request), and responses are not read by a script (but on a refused
/// line, which must show that each answer was refused by the limit it is about). A failed request
/// still fails the run: wrk counts statuses other than 2xx and 3xx, and a GraphQL error that answers 200 (a field
/// error) shows in the gateway's own operation metric (<see cref="GraphOutcomes"/>).
/// </summary>
internal static class WrkLoad
{
    public static bool Available { get; } = FindOnPath("wrk") is not null;

    /// <summary>
    /// Requests rotate through <paramref name="requests"/> (path and body; a null body is a GET). With
    /// <paramref name="refusalsExpected"/> an answer other than 2xx/3xx is counted (<see cref="LoadResult.Refused"/>)
    /// instead of failing the run: for load that is meant to be shed, and for requests that are meant to be refused.
    /// With <paramref name="refusedWith"/> (a limit's error code or message) every answer must carry that text, whatever
    /// its status, or the run fails, and <see cref="LoadResult.Refused"/> counts the answers that did: a status alone
    /// cannot tell, since a descriptor refused by <c>validateEntities</c> answers 200 with a report, and an answer
    /// refused for another reason (a syntax error in the benchmark's own request) must not pass for the limit's.
    /// A <paramref name="warmUp"/> of zero starts measuring at once, with neither warm-up nor collection: for reads that
    /// must start within seconds of an ingest, warmed up before it (<see cref="WarmUpAsync"/>).
    /// </summary>
    public static async Task<LoadResult> RunAsync(
        string name, Uri baseAddress, int connections, TimeSpan duration, IReadOnlyList<(string Path, string? Body)> requests,
        bool refusalsExpected = false, string? refusedWith = null, TimeSpan? warmUp = null)
    {
        refusalsExpected |= refusedWith is not null;
        var script = await WriteScriptAsync(requests, refusedWith);
        try
        {
            warmUp ??= TimeSpan.FromSeconds(3);
            if (warmUp > TimeSpan.Zero)
            {
                await RunWrkAsync(script, baseAddress, connections, warmUp.Value);
                LoadRunner.Settle(); // the gateway runs in this process
            }

            using var outcomes = new GraphOutcomes();
            var cpu = new CpuMeter();
            var line = await RunWrkAsync(script, baseAddress, connections, duration);
            var parts = line.Split(' ');
            double Part(int i) => double.Parse(parts[i], CultureInfo.InvariantCulture);

            // No answer within the whole run and no error: every request was still waiting when it ended. A short run
            // (one second, right after an ingest) can be swallowed by one stall of the machine; it must not read as 0 req/s.
            if (Part(0) == 0)
            {
                return LoadResult.Failed(name + " (wrk)", connections, $"no answer completed within the {duration.TotalSeconds:F0} s run (the gateway or the machine stalled)");
            }

            var refused = refusedWith is not null ? (int)Part(11) : refusalsExpected ? (int)Part(10) : 0;
            if (refusedWith is not null && refused != (int)Part(0))
            {
                throw new InvalidOperationException($"{name}: {Part(0) - refused} of {Part(0)} answers did not carry {refusedWith}");
            }

            if (Part(5) - (refusalsExpected ? Part(10) : 0) > 0)
            {
                throw new InvalidOperationException($"{name}: {Part(5)} requests failed (connect {parts[6]}, read {parts[7]}, write {parts[8]}, timeout {parts[9]}, status other than 2xx/3xx {parts[10]})");
            }

            // Every GraphQL request is one operation; a run that saw fewer did not run what it claims.
            var (operations, errors) = outcomes.Read();
            var graphRequests = requests.All(r => r.Path == "/graphql") ? (long)Part(0) : 0;
            if (!refusalsExpected && (errors > 0 || operations < graphRequests))
            {
                throw new InvalidOperationException($"{name}: the gateway ran {operations} GraphQL operations for {graphRequests} requests, {errors} of them with errors");
            }

            var (processCpu, postgresCpu) = cpu.PerRequest((int)Part(0));
            return new LoadResult(name + " (wrk)", connections, Part(0) / Part(1), Part(2), Part(3), Part(4), (int)Part(0))
            {
                ProcessCpu = processCpu,
                PostgresCpu = postgresCpu,
                Refused = refusalsExpected ? refused : null,
            };
        }
        finally
        {
            File.Delete(script);
        }
    }

    /// <summary>
    /// Sends the requests for a while and ignores the answers, whatever their status: it warms the gateway up (JIT tiers,
    /// pools) on request shapes that an empty catalog answers with 404.
    /// </summary>
    public static async Task WarmUpAsync(Uri baseAddress, int connections, TimeSpan duration, IReadOnlyList<(string Path, string? Body)> requests)
    {
        var script = await WriteScriptAsync(requests, refusedWith: null);
        try
        {
            await RunWrkAsync(script, baseAddress, connections, duration);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static async Task<string> WriteScriptAsync(IReadOnlyList<(string Path, string? Body)> requests, string? refusedWith)
    {
        var script = Path.Combine(Path.GetTempPath(), $"portal-bench-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Script(requests, refusedWith));
        return script;
    }

    private static async Task<string> RunWrkAsync(string script, Uri baseAddress, int connections, TimeSpan duration)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        // One client thread drives 16 connections at well over the rates measured here, and leaves the cores to the
        // gateway and PostgreSQL; a second thread only added context switches. A slow answer is a latency to report
        // (p99), not a failure: wrk's own 2-second timeout would drop it from the percentiles instead.
        foreach (var argument in new[] { "-t1", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--timeout", "30s", "-s", script, baseAddress.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))?["RESULT ".Length..]
            ?? throw new InvalidOperationException("wrk printed no result: " + output + await process.StandardError.ReadToEndAsync());
    }

    private static string Script(IReadOnlyList<(string Path, string? Body)> requests, string? refusedWith)
    {
        // Lua long brackets of level 3 hold any JSON body verbatim.
        static string Long(string text) => "[===[" + text + "]===]";
        static string Headers(string? body) => body is null
            ? """{ ["Accept"] = "application/json" }"""
            : """{ ["Content-Type"] = "application/json", ["Accept"] = "application/graphql-response+json" }""";

        var lua = new StringBuilder();
        if (requests.Count == 1)
        {
            // One request, built once by wrk itself.
            var (path, body) = requests[0];
            lua.Append("wrk.method = \"").Append(body is null ? "GET" : "POST").Append("\"\n")
                .Append("wrk.path = ").Append(Long(path)).Append('\n')
                .Append("wrk.headers = ").Append(Headers(body)).Append('\n');
            if (body is not null)
            {
                lua.Append("wrk.body = ").Append(Long(body)).Append('\n');
            }
        }
        else
        {
            // Several requests in rotation: each is formatted once, in init (where wrk has set the Host header), and
            // picked per request.
            lua.Append("local list = {}\ninit = function(args)\n");
            foreach (var (path, body) in requests)
            {
                lua.Append("  table.insert(list, wrk.format(").Append(body is null ? "\"GET\"" : "\"POST\"").Append(", ").Append(Long(path))
                    .Append(", ").Append(Headers(body)).Append(", ").Append(body is null ? "nil" : Long(body)).Append("))\n");
            }

            lua.Append("end\n");
            lua.Append("""
                local i = 0
                request = function()
                  i = i + 1
                  return list[(i % #list) + 1]
                end

                """);
        }

        if (refusedWith is not null)
        {
            // Each thread counts, in its own Lua state, the answers that carry the text; done adds them up.
            lua.Append("local marker = ").Append(Long(refusedWith)).Append('\n').Append("""
                marked = 0
                local threads = {}
                setup = function(thread) table.insert(threads, thread) end
                response = function(status, headers, body)
                  if string.find(body, marker, 1, true) then marked = marked + 1 end
                end

                """);
        }

        lua.Append("""
            done = function(summary, latency, requests)
              local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status
              local carried = -1
              if threads then
                carried = 0
                for _, thread in ipairs(threads) do carried = carried + thread:get("marked") end
              end
              io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %d %d %d %d %d %d %d\n", summary.requests, summary.duration / 1e6,
                latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors,
                summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status, carried))
            end
            """);
        return lua.ToString();
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}
