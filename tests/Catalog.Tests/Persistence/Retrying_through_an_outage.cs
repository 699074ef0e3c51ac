using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Postgres.Failures;

namespace Portal.Catalog.Tests.Persistence;

/// <summary>The helpers every background loop of the portal retries with: a bounded, capped, jittered backoff and a log of one line per outage end.</summary>
public sealed class Retrying_through_an_outage
{
    private static readonly int[] Steps = [100, 200, 400, 800, 1000, 1000, 1000, 1000];

    [Fact]
    public void The_backoff_doubles_from_its_first_step_to_its_cap_each_wait_in_the_upper_half_of_its_step()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1));

        var waits = Enumerable.Range(0, 8).Select(_ => backoff.Next()).ToList();
        backoff.Reset();
        var afterReset = backoff.Next();

        TimeSpan[] steps = [.. Steps.Select(ms => TimeSpan.FromMilliseconds(ms))];
        Assert.All(waits.Zip(steps), pair => Assert.InRange(pair.First, pair.Second / 2, pair.Second));
        Assert.InRange(afterReset, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_outage_is_one_error_with_its_exception_and_one_line_when_it_ends()
    {
        var logger = new ListLogger();
        var outage = new OutageLog(logger, "Relaying the catalog outbox");
        var refused = new NpgsqlException("Failed to connect to 127.0.0.1:1", new System.Net.Sockets.SocketException(111));

        for (var i = 0; i < 50; i++)
        {
            outage.Failed(refused);
        }

        outage.Succeeded();
        outage.Succeeded();

        var error = Assert.Single(logger.Lines, line => line.Level == LogLevel.Error);
        Assert.Same(refused, error.Exception);
        Assert.Equal("Relaying the catalog outbox failed: the database is not reachable. Further failures are counted, not logged, until it works again.", error.Message);
        var recovered = Assert.Single(logger.Lines, line => line.Level == LogLevel.Information);
        Assert.StartsWith("Relaying the catalog outbox: database reachable again after 50 failed attempts over ", recovered.Message, StringComparison.Ordinal);
        Assert.False(outage.IsOpen);
    }

    [Fact]
    public void A_failure_that_is_not_the_databases_ends_without_blaming_it()
    {
        var logger = new ListLogger();
        var outage = new OutageLog(logger, "Relaying the catalog outbox");

        outage.Failed(new InvalidOperationException("The broker is unreachable."));
        outage.Succeeded();

        Assert.Contains("The broker is unreachable.", logger.Lines[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("Relaying the catalog outbox works again after 1 failed attempts", logger.Lines[1].Message, StringComparison.Ordinal);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Message, Exception? Exception)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception), exception));
    }
}
