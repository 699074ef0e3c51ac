using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Portal.Postgres.Failures;

/// <summary>
/// The <see cref="OutageLog"/> of the request surfaces (REST, GraphQL): a request that failed because the database is
/// away or overloaded reports it here instead of logging a stack trace of its own. A request cannot tell when the
/// outage ends (most requests that succeed meanwhile never needed the database), so from the first failure on this asks
/// the database itself, one <c>SELECT 1</c> at a time with backoff, and ends the outage when it answers and no request
/// has failed for <see cref="QuietPeriod"/>. (Under sustained overload, an exhausted pool, the probe gets a connection
/// now and then while requests go on failing: that is one outage, not one per probe.)
/// </summary>
public sealed class RequestOutageLog : IDisposable
{
    private static readonly TimeSpan FirstProbeDelay = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxProbeDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long requests must have stopped failing, beside the probe's answer, for the outage to be over.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(2);

    private readonly OutageLog _log;
    private readonly IServiceProvider _services;
    private readonly CancellationTokenSource _stopping = new();
    private int _probing;
    private long _lastFailureAt;

    public RequestOutageLog(IServiceProvider services, ILogger<RequestOutageLog> logger)
    {
        _services = services;
        _log = new OutageLog(logger, "Serving requests");
    }

    /// <summary>True while requests fail for want of the database and it has not answered since.</summary>
    public bool IsOpen => _log.IsOpen;

    /// <summary>Counts a request that failed for want of the database; the first of an outage is logged with its exception.</summary>
    public void Failed(Exception exception)
    {
        Volatile.Write(ref _lastFailureAt, Environment.TickCount64);
        _log.Failed(exception);
        EnsureProbe();
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private void EnsureProbe()
    {
        if (!_stopping.IsCancellationRequested && Interlocked.CompareExchange(ref _probing, 1, 0) == 0)
        {
            _ = Task.Run(ProbeAsync, CancellationToken.None);
        }
    }

    private async Task ProbeAsync()
    {
        var backoff = new Backoff(FirstProbeDelay, MaxProbeDelay);
        try
        {
            // Resolved here, not in the constructor: the data source starts an embedded database on first use.
            var dataSource = _services.GetRequiredService<NpgsqlDataSource>();
            while (_log.IsOpen)
            {
                await Task.Delay(backoff.Next(), _stopping.Token);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                timeout.CancelAfter(ProbeTimeout);
                try
                {
                    await using var command = dataSource.CreateCommand("SELECT 1");
                    await command.ExecuteScalarAsync(timeout.Token);
                    if (Environment.TickCount64 - Volatile.Read(ref _lastFailureAt) >= QuietPeriod.TotalMilliseconds)
                    {
                        _log.Succeeded();
                    }
                }
#pragma warning disable CA1031 // Whatever the probe meets, the database has not answered yet: ask again later.
                catch (Exception) when (!_stopping.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    // Still away. The requests count the outage's failures; the probe's own are not theirs.
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
        {
            // The host is stopping.
            return;
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }

        // A failure that arrived between the probe's success and its end opened a new outage that no probe watches yet.
        if (_log.IsOpen)
        {
            EnsureProbe();
        }
    }
}
