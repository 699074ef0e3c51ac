using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Catalog.Persistence.Writes;

namespace Portal.Catalog.Queries;

/// <summary>
/// Full-text search from memory (decision 0010). A search matching 4% of 100,000 entities costs PostgreSQL a visit of
/// every matching row, about 12 ms, so the catalog answered 150 searches a second; from the in-memory snapshot it
/// costs a fraction of a millisecond. The snapshot is exact or unused: each answer reads the catalog's version in the
/// same round trip as its page, and a snapshot of another version is never answered from (the query runs as SQL, and
/// a new snapshot is built in the background). Writes here nudge a rebuild at once; other replicas' writes are seen by
/// the next search.
/// Builds run one at a time and, after one that took t, the next waits t: they take at most half of one core however
/// often the catalog changes. A catalog larger than <c>Catalog:Search:MaxIndexedEntities</c> is searched by SQL only.
/// </summary>
public sealed class FullTextIndex
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _maxEntities;
    private readonly ILogger<FullTextIndex> _logger;
    private readonly Lock _lock = new();
    private volatile FullTextSnapshot? _current;
    private volatile bool _searched;
    private bool _building;
    private bool _again;
    private long _oversizedVersion = -1;
    private DateTime _notBefore = DateTime.MinValue;

    internal FullTextIndex(NpgsqlDataSource dataSource, CatalogWriteGate writes, IOptions<CatalogOptions> options, ILogger<FullTextIndex> logger)
    {
        _dataSource = dataSource;
        _maxEntities = options.Value.Search.MaxIndexedEntities;
        _logger = logger;

        // After a write here, the snapshot is rebuilt at once rather than by the next search (which would be answered by
        // SQL first): but only once somebody has searched, so a catalog nobody searches costs nothing.
        writes.Committed += () =>
        {
            if (_searched)
            {
                Stale();
            }
        };
    }

    /// <summary>The newest snapshot built, whatever its version; null before the first.</summary>
    internal FullTextSnapshot? Current
    {
        get
        {
            _searched = true;
            return _current;
        }
    }

    /// <summary>Searches answered from a snapshot since start (for tests and diagnostics).</summary>
    internal long Answers => Interlocked.Read(ref _answers);

    private long _answers;

    internal void Answered() => Interlocked.Increment(ref _answers);

    /// <summary>
    /// The catalog is at <paramref name="version"/> (or changed, when null): a snapshot of another version is replaced
    /// in the background. Returns at once.
    /// </summary>
    public void Stale(long? version = null)
    {
        if (_maxEntities <= 0 || (version is { } seen && (_current?.Version == seen || _oversizedVersion == seen)))
        {
            return;
        }

        lock (_lock)
        {
            if (_building)
            {
                _again = true; // the build under way may have read an older version: one more after it
                return;
            }

            _building = true;
        }

        _ = Task.Run(BuildLoopAsync);
    }

    private async Task BuildLoopAsync()
    {
        while (true)
        {
            var wait = _notBefore - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var clock = Stopwatch.StartNew();
            try
            {
                await BuildAsync();
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // Whatever went wrong, the loop must end by clearing _building below, or no snapshot would ever be built
                // again. Searches go on as SQL meanwhile; the next one that finds no current snapshot asks again.
                _logger.LogWarning("The full-text snapshot could not be built: {Reason}", exception.Message);
            }

            // A catalog found too large is looked at again once a minute at most (it may shrink), not on every search.
            _notBefore = DateTime.UtcNow + (_current is null && _oversizedVersion >= 0 ? TimeSpan.FromMinutes(1) : clock.Elapsed);
            lock (_lock)
            {
                if (!_again)
                {
                    _building = false;
                    return;
                }

                _again = false;
            }
        }
    }

    private async Task BuildAsync()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();

        // One snapshot of the database for the version and the rows: the texts are exactly those of that version.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        long version;
        await using (var command = new NpgsqlCommand("SELECT version FROM catalog.catalog_state WHERE id = 1", connection, transaction))
        {
            version = (long)(await command.ExecuteScalarAsync())!;
        }

        if (_current?.Version == version || _oversizedVersion == version)
        {
            return;
        }

        var rows = new List<string[]>();
        await using (var command = new NpgsqlCommand($"""
            SELECT e.ref, e.search_text, {string.Join(", ", FullTextSnapshot.Fields.Select(FieldText))}
            FROM catalog.entities e ORDER BY e.ref LIMIT {_maxEntities + 1}
            """, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var row = new string[2 + FullTextSnapshot.Fields.Length];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = reader.GetString(i);
                }

                rows.Add(row);
            }
        }

        if (rows.Count > _maxEntities)
        {
            _oversizedVersion = version;
            _current = null;
            _logger.LogInformation("The catalog holds more than Catalog:Search:MaxIndexedEntities ({Max}) entities: full-text search runs as SQL", _maxEntities);
            return;
        }

        var clock = Stopwatch.StartNew();
        _current = FullTextSnapshot.Build(version, rows);
        _logger.LogDebug("Full-text snapshot of version {Version}: {Count} entities, built in {Milliseconds} ms", version, rows.Count, clock.ElapsedMilliseconds);
    }

    // Exactly the text FilterSql.FullText compares for the field, so both answer alike.
    private static string FieldText(string field) => field switch
    {
        "metadata.name" => "lower(coalesce(e.name, ''))",
        "metadata.title" => "lower(coalesce(e.title, ''))",
        "metadata.description" => "lower(coalesce(e.description, ''))",
        _ => $"lower(coalesce(e.document #>> '{{{string.Join(',', FilterSql.SplitPath(field))}}}', ''))",
    };
}
