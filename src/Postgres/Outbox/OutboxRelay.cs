using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Portal.Postgres.Failures;

namespace Portal.Postgres.Outbox;

/// <summary>How the rows of an outbox reach the consumers of every replica.</summary>
public enum OutboxDelivery
{
    /// <summary>
    /// Every replica reads every row, from its own position, and publishes it on its own bus. The in-memory bus
    /// reaches only its own process, so this is how a change reaches the subscribers of every replica.
    /// </summary>
    EveryReplica,

    /// <summary>
    /// One replica claims each row (<c>FOR UPDATE SKIP LOCKED</c>) and publishes it once; a shared broker delivers it
    /// to every replica's temporary endpoint, and to one consumer of each competing endpoint.
    /// </summary>
    Once,
}

/// <summary>
/// Publishes the rows of one module's outbox table (<see cref="OutboxTable"/>) on the bus. A module writes a row in the
/// transaction that makes the change it announces; this relay publishes it after the commit, with the row's message
/// id, retrying with backoff while the database or the broker fails. Delivery is at least once: a crash after
/// publishing and before marking a row sent publishes it again, so consumers drop repeats by message id (the inbox).
/// </summary>
/// <remarks>
/// The table's columns are those of <see cref="OutboxRow"/>. Positions are handed out when rows are inserted, not when
/// their transactions commit, so a reader that only followed positions could pass a row whose transaction commits
/// late. The relay therefore orders by (transaction, position) and reads only transactions older than the oldest one
/// still running (<c>pg_snapshot_xmin</c>): those can gain no more rows.
/// </remarks>
internal sealed class OutboxRelay(
    OutboxTable table,
    OutboxDelivery delivery,
    NpgsqlDataSource dataSource,
    IBus bus,
    IOptions<OutboxOptions> options,
    ILogger<OutboxRelay> logger)
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly Dictionary<string, Type> ContractTypes = typeof(Portal.Contracts.Catalog.EntitiesChanged).Assembly
        .GetExportedTypes()
        .Where(type => type is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false } && type.FullName is not null)
        .ToDictionary(type => type.FullName!, StringComparer.Ordinal);

    private readonly string _table = table.Name;
    private readonly string _schema = table.Schema;

    // EveryReplica: the (transaction, position) of the last row this replica has published; rows after it are next.
    private (ulong TransactionId, long Position)? _position;

    // Pruning is cheap but needs no hurry: at most once a minute, or as often as rows expire when that is sooner.
    private TimeSpan PruneInterval => options.Value.Retention < TimeSpan.FromMinutes(1) ? options.Value.Retention : TimeSpan.FromMinutes(1);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Relaying the {Schema} outbox to the bus ({Delivery})", _schema, delivery);
        var outage = new OutageLog(logger, $"Relaying the {_schema} outbox");
        var backoff = new Backoff(FirstRetryDelay, options.Value.MaxRetryDelay);
        var nextPrune = DateTimeOffset.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var relayed = delivery == OutboxDelivery.EveryReplica
                    ? await RelayNextAsync(stoppingToken)
                    : await RelayClaimedAsync(stoppingToken);
                if (DateTimeOffset.UtcNow >= nextPrune)
                {
                    await PruneAsync(stoppingToken);
                    nextPrune = DateTimeOffset.UtcNow + PruneInterval;
                }

                outage.Succeeded();
                backoff.Reset();
                if (relayed < options.Value.BatchSize)
                {
                    await Task.Delay(options.Value.PollInterval, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
#pragma warning disable CA1031 // The relay must outlive any failure of the database or the broker; it logs and retries.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                // Once per outage, not once per attempt: the database may be away for minutes.
                outage.Failed(exception);
                try
                {
                    await Task.Delay(backoff.Next(), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>EveryReplica: publishes the next rows after this replica's position. Returns how many rows were read.</summary>
    private async Task<int> RelayNextAsync(CancellationToken cancellationToken)
    {
        var position = _position ??= await StartPositionAsync(cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        List<OutboxMessage> rows;
        await using (var select = new NpgsqlCommand($"""
            SELECT position, transaction_id, message_id, message_type, body::text FROM {_table}
            WHERE (transaction_id, position) > (@transaction, @position) AND error IS NULL
              AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY transaction_id, position
            LIMIT @limit
            """, connection))
        {
            select.Parameters.Add(new NpgsqlParameter("transaction", NpgsqlDbType.Xid8) { Value = position.TransactionId });
            select.Parameters.AddWithValue("position", position.Position);
            select.Parameters.AddWithValue("limit", options.Value.BatchSize);
            rows = await ReadMessagesAsync(select, cancellationToken);
        }

        var published = new List<long>(rows.Count);
        try
        {
            foreach (var row in rows)
            {
                if (await PublishAsync(connection, row, cancellationToken))
                {
                    published.Add(row.Position);
                }

                _position = (row.TransactionId, row.Position);
            }
        }
        finally
        {
            await MarkSentAsync(connection, published, CancellationToken.None);
        }

        return rows.Count;
    }

    /// <summary>Reads outbox rows selected as <c>position, transaction_id, message_id, message_type, body::text</c>.</summary>
    private static async Task<List<OutboxMessage>> ReadMessagesAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var rows = new List<OutboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OutboxMessage(
                reader.GetInt64(0), reader.GetFieldValue<ulong>(1), reader.GetGuid(2), reader.GetString(3), reader.GetString(4)));
        }

        return rows;
    }

    /// <summary>
    /// Where a starting replica begins: at the oldest row nobody has published yet (a replica may have stopped between
    /// a commit and its publish), else at the rows of transactions still running.
    /// </summary>
    private async Task<(ulong, long)> StartPositionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT pg_snapshot_xmin(pg_current_snapshot()), u.transaction_id, u.position
            FROM (SELECT 1) AS one
            LEFT JOIN LATERAL (
                SELECT transaction_id, position FROM {_table} WHERE sent_at IS NULL AND error IS NULL
                ORDER BY transaction_id, position LIMIT 1) AS u ON TRUE
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var horizon = reader.GetFieldValue<ulong>(0);
        if (!reader.IsDBNull(1) && reader.GetFieldValue<ulong>(1) < horizon)
        {
            return (reader.GetFieldValue<ulong>(1), reader.GetInt64(2) - 1);
        }

        return (horizon - 1, long.MaxValue);
    }

    /// <summary>Once: claims unsent rows that no other replica holds, publishes them and marks them sent.</summary>
    private async Task<int> RelayClaimedAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        List<OutboxMessage> rows;
        await using (var claim = new NpgsqlCommand($"""
            SELECT position, transaction_id, message_id, message_type, body::text FROM {_table}
            WHERE sent_at IS NULL AND error IS NULL
            ORDER BY position
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            claim.Parameters.AddWithValue("limit", options.Value.BatchSize);
            rows = await ReadMessagesAsync(claim, cancellationToken);
        }

        var published = new List<long>(rows.Count);
        try
        {
            foreach (var row in rows)
            {
                if (await PublishAsync(connection, row, cancellationToken))
                {
                    published.Add(row.Position);
                }
            }
        }
        finally
        {
            // What was published stays published even when a later row failed: mark it, and release the rest.
            await MarkSentAsync(connection, published, CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        }

        return rows.Count;
    }

    /// <summary>Publishes one row; a row that can never be published is marked with the reason and skipped.</summary>
    private async Task<bool> PublishAsync(NpgsqlConnection connection, OutboxMessage row, CancellationToken cancellationToken)
    {
        object? message = null;
        string? error = null;
        if (!ContractTypes.TryGetValue(row.MessageType, out var type))
        {
            error = $"'{row.MessageType}' is not a message type of Portal.Contracts.";
        }
        else
        {
            try
            {
                message = JsonSerializer.Deserialize(row.Body, type, JsonSerializerOptions.Web);
                error = message is null ? "The body is null." : null;
            }
            catch (JsonException exception)
            {
                error = $"The body is not a {type.Name}: {exception.Message}";
            }
        }

        if (error is not null)
        {
            logger.LogError("Outbox row {Position} of {Schema} can never be published and is skipped: {Error}", row.Position, _schema, error);
            await using var mark = new NpgsqlCommand($"UPDATE {_table} SET error = @error WHERE position = @position", connection);
            mark.Parameters.AddWithValue("error", error);
            mark.Parameters.AddWithValue("position", row.Position);
            await mark.ExecuteNonQueryAsync(cancellationToken);
            return false;
        }

        await bus.Publish(message!, type!, Pipe.Execute<PublishContext>(context => context.MessageId = row.MessageId), cancellationToken);
        return true;
    }

    private async Task MarkSentAsync(NpgsqlConnection connection, List<long> positions, CancellationToken cancellationToken)
    {
        if (positions.Count == 0)
        {
            return;
        }

        await using var command = new NpgsqlCommand(
            $"UPDATE {_table} SET sent_at = now() WHERE position = ANY(@positions) AND sent_at IS NULL", connection);
        command.Parameters.AddWithValue("positions", positions.ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes rows published (or failed) longer ago than the retention; unpublished rows always stay.</summary>
    private async Task PruneAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"DELETE FROM {_table} WHERE created_at < now() - @retention AND (sent_at IS NOT NULL OR error IS NOT NULL)");
        command.Parameters.AddWithValue("retention", options.Value.Retention);
        var pruned = await command.ExecuteNonQueryAsync(cancellationToken);
        if (pruned > 0)
        {
            logger.LogDebug("Pruned {Count} relayed row(s) from the {Schema} outbox", pruned, _schema);
        }
    }

    private sealed record OutboxMessage(long Position, ulong TransactionId, Guid MessageId, string MessageType, string Body);
}
