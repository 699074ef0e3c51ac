using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using GraphQL;
using GraphQLParser.AST;

namespace Portal.Gateway.Hosting.Telemetry;

/// <summary>
/// One span and one duration measurement per GraphQL operation, tagged with its type, name and outcome. Operation
/// names come from clients, so only well-formed names are kept as tags, and at most <see cref="MaxOperationNames"/>
/// distinct ones (the rest count as "other"): a client must not be able to blow up the metric's cardinality.
/// </summary>
public sealed class GraphQLMetrics
{
    public const string Name = "Portal.Gateway.Graph";
    private const int MaxOperationNames = 200;

    // Process-wide, like the runtime's own meters: exporters match meters by name, and two live meters of one name
    // (two hosts in one test process) would publish duplicate instruments.
    private static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);
    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("portal.graphql.operation.duration", unit: "s",
        description: "How long GraphQL operations take, from parsing to the result.");

    private readonly ConcurrentDictionary<string, bool> _names = new(StringComparer.Ordinal);

    public async Task<ExecutionResult> MeasureAsync(ExecutionOptions options, Func<ExecutionOptions, Task<ExecutionResult>> next)
    {
        using var activity = Source.StartActivity("graphql.execute");
        var started = Stopwatch.GetTimestamp();
        var result = await next(options);
        var elapsed = Stopwatch.GetElapsedTime(started);

        var type = result.Operation?.Operation switch
        {
            OperationType.Query => "query",
            OperationType.Mutation => "mutation",
            OperationType.Subscription => "subscription",
            _ => "invalid",
        };
        var name = OperationName(result.Operation?.Name?.StringValue ?? options.OperationName);
        var outcome = result.Errors is { Count: > 0 } ? "error" : "ok";
        Duration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("graphql.operation.type", type),
            new KeyValuePair<string, object?>("graphql.operation.name", name),
            new KeyValuePair<string, object?>("outcome", outcome));
        if (activity is not null)
        {
            activity.DisplayName = $"{type} {name}";
            activity.SetTag("graphql.operation.type", type);
            activity.SetTag("graphql.operation.name", name);
            activity.SetStatus(outcome == "ok" ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
        }

        return result;
    }

    private string OperationName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "anonymous";
        }

        if (name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            return "other";
        }

        if (_names.ContainsKey(name))
        {
            return name;
        }

        return _names.Count < MaxOperationNames && _names.TryAdd(name, true) ? name : "other";
    }
}
