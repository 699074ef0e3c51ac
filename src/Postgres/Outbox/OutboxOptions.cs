using System.ComponentModel.DataAnnotations;

namespace Portal.Postgres.Outbox;

/// <summary>The outbox relay, bound from <c>Bus:Outbox</c>.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Bus:Outbox";

    /// <summary>How long the relay sleeps when the outbox had nothing new; the delay of a change reaching the bus.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Most rows read (and published) per round trip.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>How long published rows stay in the outbox before they are pruned. Unpublished rows are never pruned.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Longest wait between retries while the database or the broker fails; retries start at 100 ms and double, each
    /// wait drawn from the upper half of its step (<see cref="Failures.Backoff"/>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
