using System.Diagnostics.Metrics;
using Portal.Gateway.Hosting.Telemetry;

namespace Portal.Benchmarks;

/// <summary>
/// Counts the GraphQL operations the gateway (hosted in this process) ran, and how many ended in errors, from its own
/// operation metric. The load generator then need not read every response body to find an error: that reading is
/// the client's CPU, taken from the same two cores the gateway is measured on.
/// </summary>
internal sealed class GraphOutcomes : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _operations;
    private long _errors;

    public GraphOutcomes()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GraphQLMetrics.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            Interlocked.Increment(ref _operations);
            foreach (var tag in tags)
            {
                if (tag is { Key: "outcome", Value: "error" })
                {
                    Interlocked.Increment(ref _errors);
                }
            }
        });
        _listener.Start();
    }

    public (long Operations, long Errors) Read() => (Interlocked.Read(ref _operations), Interlocked.Read(ref _errors));

    public void Dispose() => _listener.Dispose();
}
