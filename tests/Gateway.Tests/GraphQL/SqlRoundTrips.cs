using System.Collections.Concurrent;
using System.Diagnostics;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>
/// Counts the SQL commands one request sends, through Npgsql's own tracing: the request carries a traceparent the
/// test chose, and only commands in that trace count, so tests running alongside do not disturb the count.
/// </summary>
public sealed class SqlRoundTrips : IDisposable
{
    private readonly ConcurrentBag<string> _commands = [];
    private readonly ActivityListener _listener;
    private readonly ActivityTraceId _traceId = ActivityTraceId.CreateRandom();

    public SqlRoundTrips()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql" && activity.TraceId == _traceId)
                {
                    _commands.Add((string?)activity.GetTagItem("db.query.text") ?? activity.DisplayName);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>The header value that puts a request in the counted trace.</summary>
    public string TraceParent => $"00-{_traceId}-{ActivitySpanId.CreateRandom()}-01";

    public int Count => _commands.Count;

    public override string ToString() => string.Join("\n---\n", _commands);

    public void Dispose() => _listener.Dispose();
}
