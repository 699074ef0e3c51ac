using System.Diagnostics;

namespace Portal.Benchmarks;

/// <summary>
/// Asks <c>/healthz</c> and <c>/readyz</c> every 50 ms, as an orchestrator's probes would (on a connection of their
/// own), while a load runs; a probe that waits behind the load makes a busy replica look dead.
/// </summary>
internal sealed class HealthProbes : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<(List<double> Alive, List<double> Ready)> _probing;

    public HealthProbes(Uri baseAddress)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _probing = ProbeAsync();
    }

    private async Task<(List<double>, List<double>)> ProbeAsync()
    {
        var alive = new List<double>();
        var ready = new List<double>();
        while (!_stop.IsCancellationRequested)
        {
            alive.Add(await TimeAsync("/healthz"));
            ready.Add(await TimeAsync("/readyz"));
            try
            {
                await Task.Delay(50, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return (alive, ready);
    }

    private async Task<double> TimeAsync(string path)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await _http.GetAsync(path);
        return response.IsSuccessStatusCode ? Stopwatch.GetElapsedTime(started).TotalMilliseconds : double.PositiveInfinity;
    }

    /// <summary>Stops probing; one line per probe: median, p99 and slowest (a failed probe counts as infinitely slow).</summary>
    public async Task<string> StopAsync()
    {
        await _stop.CancelAsync();
        var (alive, ready) = await _probing;
        static string Describe(string path, List<double> times)
        {
            var sorted = times.Order().ToArray();
            double At(double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
            return $"{path} p50 {At(0.50):F2} ms, p99 {At(0.99):F2} ms, slowest {sorted[^1]:F2} ms (n={sorted.Length})";
        }

        return $"probes meanwhile: {Describe("/healthz", alive)}; {Describe("/readyz", ready)}";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
        _http.Dispose();
    }
}
