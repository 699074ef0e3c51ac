using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Portal.Postgres.Failures;

/// <summary>
/// Logs a run of failures of one piece of work (a background loop, the requests of a replica) as one event: the first
/// failure as an error with its exception, nothing while the failures go on, and one line once the work succeeds again
/// ("database reachable again after N failed attempts over T"). Without it an outage logs a stack trace per attempt:
/// the requests of one replica logged 17,000 in 14 s. Thread-safe; the quiet path is one read.
/// </summary>
/// <param name="logger">Where the two lines go (the category of the work that fails).</param>
/// <param name="work">What fails, as the start of a sentence: "Relaying the catalog outbox".</param>
public sealed class OutageLog(ILogger logger, string work)
{
    private readonly Lock _lock = new();
    private int _failures;
    private long _startedAt;
    private bool _onlyDatabase;

    /// <summary>True from the first failure until the next success.</summary>
    public bool IsOpen => Volatile.Read(ref _failures) > 0;

    /// <summary>Counts a failed attempt; the first one of an outage is logged, with its exception.</summary>
    public void Failed(Exception exception)
    {
        var database = DatabaseFailure.Classify(exception);
        lock (_lock)
        {
            _onlyDatabase = (_failures == 0 || _onlyDatabase) && database is not null;
            if (++_failures > 1)
            {
                return;
            }

            _startedAt = Stopwatch.GetTimestamp();
        }

        logger.LogError(exception, "{Work} failed: {Failure}. Further failures are counted, not logged, until it works again.",
            work, database is { } kind ? DatabaseFailure.Describe(kind) : exception.Message);
    }

    /// <summary>Ends an outage, if there is one, with a line saying how long it lasted.</summary>
    public void Succeeded()
    {
        if (Volatile.Read(ref _failures) == 0)
        {
            return;
        }

        int failures;
        TimeSpan lasted;
        bool onlyDatabase;
        lock (_lock)
        {
            if (_failures == 0)
            {
                return;
            }

            (failures, lasted, onlyDatabase) = (_failures, Stopwatch.GetElapsedTime(_startedAt), _onlyDatabase);
            _failures = 0;
        }

        if (onlyDatabase)
        {
            logger.LogInformation("{Work}: database reachable again after {FailedAttempts} failed attempts over {OutageSeconds:0.0} s",
                work, failures, lasted.TotalSeconds);
        }
        else
        {
            logger.LogInformation("{Work} works again after {FailedAttempts} failed attempts over {OutageSeconds:0.0} s",
                work, failures, lasted.TotalSeconds);
        }
    }
}
