using System.ComponentModel.DataAnnotations;

namespace Portal.Gateway.Messaging;

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
