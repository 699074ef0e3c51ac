using Npgsql;

namespace Portal.Catalog.Persistence.Writes;

/// <summary>
/// Where every catalog write starts (<see cref="BeginAsync"/>). Writes serialize on one PostgreSQL advisory lock across
/// all replicas; within a process they also take turns before taking a connection, so writers waiting for that lock
/// never hold pooled connections meanwhile, and a burst of writes cannot take the whole (small) pool away from reads.
/// </summary>
internal sealed class CatalogWriteGate(NpgsqlDataSource dataSource) : IDisposable
{
    private const long WriteLockKey = 0x636174616c6f67; // "catalog"

    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <summary>Raised after a write that changed entities has committed (what caches the catalog's state listens to).</summary>
    public event Action? Committed;

    /// <summary>
    /// Waits for this process's turn, opens a connection, begins a transaction and takes the catalog's write lock, in
    /// that order: the one place the lock is taken. Write through <see cref="CatalogWriter"/> and finish with
    /// <see cref="CatalogWrite.CommitAsync"/>; disposing without it rolls back, and always passes the turn on.
    /// </summary>
    /// <param name="actor">Who writes, as the entities' history records it (<c>location:file:/path</c>, <c>user:...</c>).</param>
    /// <param name="cancellationToken">Cancels the wait and the write.</param>
    public async Task<CatalogWrite> BeginAsync(string actor, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        NpgsqlConnection? connection = null;
        try
        {
            connection = await dataSource.OpenConnectionAsync(cancellationToken);
            var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await LockAsync(connection, cancellationToken);

            return new CatalogWrite(connection, transaction, actor, _turn, () => Committed?.Invoke());
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

    /// <summary>
    /// Takes the catalog's write lock for the rest of the connection's transaction: one writer at a time across every
    /// replica, released by commit or rollback, so no session state is left on the pooled connection. The transaction
    /// is not held to the connection's statement timeout (Database:StatementTimeout, set for reads): a writer may wait
    /// for the lock behind a large ingest, and an ingest's statements may take longer. A request's own time limit still
    /// cancels the write it started.
    /// </summary>
    internal static async Task LockAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SET LOCAL statement_timeout = 0; SELECT pg_advisory_xact_lock(@key)", connection);
        command.Parameters.AddWithValue("key", WriteLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>
/// One catalog write in progress: its connection and transaction, holding the catalog's write lock, and the entity
/// changes made so far. <see cref="CommitAsync"/> records them (history, a new catalog version, the
/// <see cref="Portal.Contracts.Catalog.EntitiesChanged"/> outbox messages) in the same transaction before committing,
/// so no write can change entities without announcing it.
/// </summary>
internal sealed class CatalogWrite(NpgsqlConnection connection, NpgsqlTransaction transaction, string actor, SemaphoreSlim turn, Action committed) : IAsyncDisposable
{
    private readonly List<HistoryEntry> _changes = [];
    private int _disposed;

    public NpgsqlConnection Connection { get; } = connection;

    public string Actor { get; } = actor;

    /// <summary>Notes entity changes for the history and the bus; <see cref="CatalogWriter"/> calls it as it writes.</summary>
    internal void Changed(IEnumerable<HistoryEntry> changes) => _changes.AddRange(changes);

    // A write changing at least this many entities, and a tenth of the table or more, analyzes the catalog's tables
    // before it commits (docs/decisions/0009-statistics-after-bulk-writes.md).
    private const int BulkChanges = 500;

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await CatalogWriter.RecordChangesAsync(Connection, _changes, Actor, cancellationToken);
        if (_changes.Count >= BulkChanges)
        {
            await AnalyzeIfBulkAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        if (_changes.Count > 0)
        {
            committed();
        }
    }

    /// <summary>
    /// Gives the planner statistics of what a bulk write wrote, in the write's own transaction: ANALYZE samples the
    /// transaction's own rows, and its statistics become visible with them at commit, so no reader ever plans a query
    /// for a table that is, by the statistics, empty (or a tenth of its size).
    /// </summary>
    private async Task AnalyzeIfBulkAsync(CancellationToken cancellationToken)
    {
        await using var size = new NpgsqlCommand("SELECT reltuples FROM pg_class WHERE oid = 'catalog.entities'::regclass", Connection, transaction);
        var rows = Convert.ToDouble(await size.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
        if (rows >= 0 && _changes.Count < rows / 10)
        {
            return;
        }

        await using var analyze = new NpgsqlCommand("ANALYZE catalog.entities, catalog.relations", Connection, transaction);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

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
