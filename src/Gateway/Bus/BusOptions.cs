using System.ComponentModel.DataAnnotations;

namespace Portal.Gateway.Bus;

/// <summary>
/// The RabbitMQ broker, bound from <c>Bus:RabbitMq</c>. With no <see cref="Host"/> the bus is MassTransit's in-memory
/// transport: one bus per process, which is all a single replica needs.
/// </summary>
public sealed class RabbitMqOptions
{
    public const string Section = "Bus:RabbitMq";

    /// <summary>The broker's host name; setting it switches the bus to RabbitMQ.</summary>
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    public string VirtualHost { get; set; } = "/";

    public string Username { get; set; } = "guest";

    /// <summary>Never logged.</summary>
    public string Password { get; set; } = "guest";

    internal bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

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

    /// <summary>Longest wait between retries while the database or the broker fails; retries start at 100 ms and double.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
