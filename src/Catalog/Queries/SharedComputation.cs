namespace Portal.Catalog.Queries;

/// <summary>
/// One computation shared by every caller that asks for it while it runs (a thundering herd of cache misses costs one
/// query), and cancelled as soon as the last of them stops waiting: a request that times out or goes away must not
/// leave its query running in PostgreSQL for callers that no longer exist. Once cancelled that way it is
/// <see cref="Abandoned"/> and is never joined again; the next caller starts a new one.
/// </summary>
#pragma warning disable CA1001 // The token source has no timer, so there is nothing to release; it goes with the computation.
internal sealed class SharedComputation<T>(Func<CancellationToken, Task<T>> compute)
#pragma warning restore CA1001
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly Lock _lock = new();
    private int _waiters;
    private Task<T>? _task;

    /// <summary>Cancelled because nobody waited for it any more.</summary>
    public bool Abandoned { get; private set; }

    /// <summary>Finished with an error (not remembered: the next caller tries again).</summary>
    public bool Faulted => _task is { IsFaulted: true };

    /// <summary>Joins the computation (starting it if nobody has); false when it was abandoned before this caller came.</summary>
    public bool TryJoin(CancellationToken cancellationToken, out Task<T> result)
    {
        lock (_lock)
        {
            if (Abandoned)
            {
                result = Task.FromCanceled<T>(new CancellationToken(canceled: true));
                return false;
            }

            _waiters++;
            _task ??= Task.Run(() => compute(_cancel.Token), CancellationToken.None);
        }

        result = WaitAsync(_task, cancellationToken);
        return true;
    }

    private async Task<T> WaitAsync(Task<T> task, CancellationToken cancellationToken)
    {
        try
        {
            return await task.WaitAsync(cancellationToken);
        }
        finally
        {
            var abandon = false;
            lock (_lock)
            {
                if (--_waiters == 0 && !task.IsCompleted)
                {
                    Abandoned = abandon = true;
                }
            }

            if (abandon)
            {
                await _cancel.CancelAsync();
            }
        }
    }
}
