using Npgsql;

namespace Portal.Catalog.Storage;

/// <summary>
/// Where every catalog write starts (<see cref="BeginAsync"/>). Writes serialize on one PostgreSQL advisory lock across
/// all replicas; within a process they also take turns before taking a connection, so writers waiting for that lock
/// never hold pooled connections meanwhile, and a burst of writes cannot take the whole (small) pool away from reads.
/// </summary>
internal sealed class CatalogWriteGate(NpgsqlDataSource dataSource) : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>
    /// Waits for this process's turn, opens a connection, begins a transaction and takes the catalog's write lock, in
    /// that order. Commit with <see cref="CatalogWrite.CommitAsync"/>; disposing without it rolls back, and always
    /// passes the turn on.
    /// </summary>
    public async Task<CatalogWrite> BeginAsync(CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await CatalogWriter.LockAsync(connection, cancellationToken);
            return new CatalogWrite(connection, transaction, _turn);
        }
        catch
        {
            // The turn passes on even if closing fails too (a connection that broke mid-way): otherwise every later
            // write of this process would wait for it forever.
            try
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync(); // rolls back the transaction, if it began
                }
            }
            finally
            {
                _turn.Release();
            }

            throw;
        }
    }

    public void Dispose() => _turn.Dispose();
}

/// <summary>One catalog write in progress: its connection and transaction, holding the catalog's write lock.</summary>
internal sealed class CatalogWrite(NpgsqlConnection connection, NpgsqlTransaction transaction, SemaphoreSlim turn) : IAsyncDisposable
{
    private int _disposed;

    public NpgsqlConnection Connection { get; } = connection;

    public Task CommitAsync(CancellationToken cancellationToken) => transaction.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Each step even when the one before failed (a broken connection): the turn must always pass on.
        try
        {
            await transaction.DisposeAsync(); // rolls back unless committed
        }
        finally
        {
            try
            {
                await Connection.DisposeAsync();
            }
            finally
            {
                turn.Release();
            }
        }
    }
}
