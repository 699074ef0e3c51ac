using System.ComponentModel.DataAnnotations;

namespace Portal.Gateway.Hosting.Load;

/// <summary>
/// How much work one replica takes on at once, bound from the <c>Load</c> section (see <see cref="LoadShedding"/>).
/// The defaults leave an ordinary load alone (the benchmark's 16 connections never queue) and keep a burst of hundreds
/// of clients in a short, first-come first-served queue instead of a pile of half-served requests.
/// </summary>
public sealed class LoadOptions
{
    public const string Section = "Load";

    /// <summary>
    /// Requests served at once; the rest wait their turn. Unset: 16 per core. Each request holds a database connection
    /// only while it runs a query (the pool is two per core), so a few times the pool keeps the cores busy while
    /// results are written out.
    /// </summary>
    [Range(1, 100_000)]
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>Requests waiting for their turn, at most; one more is answered 503 at once. Unset: 100 per core.</summary>
    [Range(0, 1_000_000)]
    public int? QueueLimit { get; set; }

    /// <summary>Longest a request waits for its turn before it is answered 503 (it would be late anyway).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Longest a request body may take to arrive, in full, before the request queues for its turn; past it the request
    /// is answered 408. (The server's own minimum data rate still ends a body that stalls.)
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan RequestBodyTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>What a refused request's <c>Retry-After</c> says, in seconds.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;

    internal int ConcurrentRequests => MaxConcurrentRequests ?? 16 * Environment.ProcessorCount;

    internal int QueuedRequests => QueueLimit ?? 100 * Environment.ProcessorCount;
}
