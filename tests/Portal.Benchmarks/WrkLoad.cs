using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Portal.Benchmarks;

/// <summary>
/// Drives the gateway with wrk, an HTTP load generator outside this process, when it is installed: the gateway then
/// shares neither its garbage collector nor its thread pool with the client, as in production. Each run is preceded by
/// a warm-up run (JIT tiers, plans, pools) that is not counted.
/// </summary>
internal static class WrkLoad
{
    public static bool Available { get; } = FindOnPath("wrk") is not null;

    /// <summary>Requests rotate through <paramref name="requests"/> (path and body; a null body is a GET).</summary>
    public static async Task<LoadResult> RunAsync(string name, Uri baseAddress, int connections, TimeSpan duration, IReadOnlyList<(string Path, string? Body)> requests)
    {
        var script = Path.Combine(Path.GetTempPath(), $"portal-bench-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Script(requests));
        try
        {
            await RunWrkAsync(script, baseAddress, connections, TimeSpan.FromSeconds(3));
            LoadRunner.Settle(); // the gateway runs in this process
            var cpu = new CpuMeter();
            var line = await RunWrkAsync(script, baseAddress, connections, duration);
            var parts = line.Split(' ');
            double Part(int i) => double.Parse(parts[i], CultureInfo.InvariantCulture);
            if (Part(5) > 0)
            {
                throw new InvalidOperationException($"{name}: {Part(5)} requests failed or answered other than 2xx");
            }

            var (processCpu, postgresCpu) = cpu.PerRequest((int)Part(0));
            return new LoadResult(name + " (wrk)", connections, Part(0) / Part(1), Part(2), Part(3), Part(4), (int)Part(0))
            {
                ProcessCpu = processCpu,
                PostgresCpu = postgresCpu,
            };
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static async Task<string> RunWrkAsync(string script, Uri baseAddress, int connections, TimeSpan duration)
    {
        var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-t2", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "-s", script, baseAddress.ToString().TrimEnd('/') })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))?["RESULT ".Length..]
            ?? throw new InvalidOperationException("wrk printed no result: " + output + await process.StandardError.ReadToEndAsync());
    }

    private static string Script(IReadOnlyList<(string Path, string? Body)> requests)
    {
        // Lua long brackets of level 3 hold any JSON body verbatim.
        var lua = new StringBuilder("local list = {\n");
        foreach (var (path, body) in requests)
        {
            lua.Append("  { [===[").Append(path).Append("]===], ").Append(body is null ? "nil" : "[===[" + body + "]===]").Append(" },\n");
        }

        lua.Append("""
            }
            local threads = {}
            setup = function(thread) table.insert(threads, thread) end
            local i = 0
            failures = 0
            request = function()
              i = i + 1
              local r = list[(i % #list) + 1]
              if r[2] == nil then
                return wrk.format("GET", r[1], { ["Accept"] = "application/json" })
              end
              return wrk.format("POST", r[1], { ["Content-Type"] = "application/json", ["Accept"] = "application/graphql-response+json" }, r[2])
            end
            response = function(status, headers, body)
              if status ~= 200 or string.find(body, '"errors"', 1, true) then failures = failures + 1 end
            end
            done = function(summary, latency, requests)
              local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status
              for _, thread in ipairs(threads) do errors = errors + (thread:get("failures") or 0) end
              io.write(string.format("RESULT %d %.3f %.3f %.3f %.3f %d\n", summary.requests, summary.duration / 1e6,
                latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
            end
            """);
        return lua.ToString();
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}
