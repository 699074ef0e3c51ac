using System.ComponentModel.DataAnnotations;

namespace Portal.Gateway.Graph;

/// <summary>Settings of the GraphQL endpoint, bound from the <c>Graph</c> configuration section.</summary>
public sealed class GraphOptions
{
    public const string Section = "Graph";

    /// <summary>Largest request body accepted, in bytes.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 256 * 1024;

    /// <summary>Accept a JSON array of operations in one POST. Off by default: one request is one operation.</summary>
    public bool AllowBatching { get; set; }

    /// <summary>Most operations in one batch, when batching is allowed.</summary>
    [Range(1, 1000)]
    public int MaxBatchSize { get; set; } = 10;

    /// <summary>Largest <c>first</c> a connection accepts.</summary>
    [Range(1, 500)]
    public int MaxPageSize { get; set; } = 100;
}
