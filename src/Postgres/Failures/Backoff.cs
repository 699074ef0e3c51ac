namespace Portal.Postgres.Failures;

/// <summary>
/// The waits between retries of failing background work: from <c>first</c>, doubling after each failure up to
/// <c>max</c>, and each drawn at random from the upper half of its step, so that replicas that lost the database at
/// the same moment do not come back at it in step. <see cref="Reset"/> after a success. Not thread-safe: one per loop.
/// </summary>
public sealed class Backoff
{
    private readonly TimeSpan _first;
    private readonly TimeSpan _max;
    private TimeSpan _step;

    public Backoff(TimeSpan first, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        _first = first;
        _max = max < first ? first : max;
        _step = first;
    }

    /// <summary>The wait before the next retry; every call after a failure doubles the step, up to the cap.</summary>
    public TimeSpan Next()
    {
        var step = _step;
        _step = TimeSpan.FromTicks(Math.Min(step.Ticks * 2, _max.Ticks));
        return TimeSpan.FromTicks(step.Ticks / 2 + (long)(Random.Shared.NextDouble() * (step.Ticks / 2)));
    }

    /// <summary>Starts again from the first step: the work succeeded.</summary>
    public void Reset() => _step = _first;
}
