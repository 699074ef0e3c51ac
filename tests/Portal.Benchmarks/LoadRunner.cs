using System.Diagnostics;

namespace Portal.Benchmarks;

/// <summary>Runs one operation from N concurrent callers for a fixed time and reports latency percentiles.</summary>
internal static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(string name, int callers, TimeSpan duration, Func<int, Task> operation)
    {
        // Warm up: plans, pools and JIT, outside the measured window.
        for (var i = 0; i < 50; i++)
        {
            await operation(i);
        }

        var latencies = new List<double>[callers];
        Settle();
        var cpu = new CpuMeter();
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var mine = latencies[caller] = new List<double>(100_000);
            var iteration = caller * 7919;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var before = Stopwatch.GetTimestamp();
                await operation(iteration++);
                mine.Add(Stopwatch.GetElapsedTime(before).TotalMilliseconds);
            }
        })));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        var (processCpu, postgresCpu) = cpu.PerRequest(all.Length);
        return new LoadResult(name, callers, all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.95), Percentile(all, 0.99), all.Length)
        {
            ProcessCpu = processCpu,
            PostgresCpu = postgresCpu,
        };
    }

    /// <summary>
    /// Collects what earlier runs left behind (their latency lists are large objects, collected only by a full
    /// collection), so that collection does not land in, and slow, the next measured run, whichever it is.
    /// </summary>
    public static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

internal sealed record LoadResult(string Name, int Callers, double PerSecond, double P50, double P95, double P99, int Count)
{
    /// <summary>CPU milliseconds per request of this process (which hosts the gateway) and of PostgreSQL.</summary>
    public double? ProcessCpu { get; init; }

    public double? PostgresCpu { get; init; }

    /// <summary>Answers other than 2xx/3xx, for a run where they are expected (shed load, hostile requests).</summary>
    public int? Refused { get; init; }

    /// <summary>Why the line was not measured (its answers were wrong); its figures are then zero.</summary>
    public string? Failure { get; init; }

    public static LoadResult Failed(string name, int callers, string failure) => new(name, callers, 0, 0, 0, 0, 0) { Failure = failure };

    public override string ToString() => Failure is not null ? $"{Name,-34} {Callers,3} callers FAILED, not measured: {Failure}" :
        $"{Name,-34} {Callers,3} callers {PerSecond,9:F0} req/s  p50 {P50,7:F2} ms  p95 {P95,7:F2} ms  p99 {P99,7:F2} ms  (n={Count})"
        + (ProcessCpu is { } process ? $"  CPU/req: this process {process:F3} ms" + (PostgresCpu is { } postgres ? $", PostgreSQL {postgres:F3} ms" : "") : "")
        + (Refused is { } refused ? $"  refused {refused}" : "");
}
