namespace Portal.Catalog.Storage;

/// <summary>
/// Lets one catalog write at a time take a database connection in this process. Every write serializes on the same
/// PostgreSQL advisory lock anyway; without this gate, writers waiting for that lock would each hold a pooled
/// connection while they wait, and a burst of writes could take the whole (small) pool away from reads.
/// </summary>
internal sealed class CatalogWriteGate : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Waits for this process's turn to write; dispose the result to pass it on.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        return new Turn(_turn);
    }

    public void Dispose() => _turn.Dispose();

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Release();
            }
        }
    }
}
