using Npgsql;
using Portal.Postgres.Migrations;

namespace Portal.Postgres.Inbox;

/// <summary>
/// One module's inbox (<c>{schema}.inbox</c>): the messages its consumers have applied. The bus delivers at least
/// once (a relay that crashed after publishing publishes again; the in-memory bus of every replica hears every
/// message), so a consumer whose effect must happen once claims the message inside the transaction that applies it.
/// </summary>
public sealed class InboxTable
{
    private readonly string _claim;
    private readonly string _prune;

    public InboxTable(string schema)
    {
        ModuleDatabaseRegistration.RequireSchemaName(schema);
        Schema = schema;
        Name = $"{schema}.inbox";
        _claim = $"INSERT INTO {Name} (consumer, message_id) VALUES (@consumer, @id) ON CONFLICT DO NOTHING";
        _prune = $"DELETE FROM {Name} WHERE claimed_at < now() - @retention";
    }

    public string Schema { get; }

    /// <summary>The table's qualified name.</summary>
    public string Name { get; }

    /// <summary>
    /// Claims a message for a consumer in the caller's transaction (the connection's current one): true the first
    /// time, false when it was applied already. A claim by another transaction that has not committed yet makes this
    /// one wait for it, then answer false if it committed, or claim if it rolled back: two replicas handling the same
    /// message at once apply it once. Roll back when the answer is false, or apply nothing.
    /// </summary>
    public async Task<bool> TryClaimAsync(NpgsqlConnection connection, string consumer, Guid messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        await using var command = new NpgsqlCommand(_claim, connection);
        command.Parameters.AddWithValue("consumer", consumer);
        command.Parameters.AddWithValue("id", messageId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Forgets claims older than <paramref name="retention"/>; returns how many.</summary>
    public async Task<int> PruneAsync(NpgsqlDataSource dataSource, TimeSpan retention, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(_prune);
        command.Parameters.AddWithValue("retention", retention);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
