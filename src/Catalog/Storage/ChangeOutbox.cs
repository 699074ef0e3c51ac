using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Portal.Contracts.Catalog;

namespace Portal.Catalog.Storage;

/// <summary>
/// Announces committed catalog changes on the bus: rows in <c>catalog.outbox</c>, written in the transaction that
/// makes the changes, which the gateway's outbox relay publishes once the transaction has committed. Messages carry
/// refs, not documents, so a 100,000-entity ingestion adds a few hundred small rows.
/// </summary>
internal static class ChangeOutbox
{
    /// <summary>Changes per <see cref="EntitiesChanged"/> message: small enough for any broker, few rows for a big write.</summary>
    public const int MaxChangesPerMessage = 500;

    private static readonly string MessageType = typeof(EntitiesChanged).FullName!;

    public static async Task WriteAsync(
        NpgsqlConnection connection, IReadOnlyCollection<HistoryEntry> changes, long catalogVersion, CancellationToken cancellationToken)
    {
        if (changes.Count == 0)
        {
            return;
        }

        var at = DateTimeOffset.UtcNow;
        var ids = new List<Guid>();
        var bodies = new List<string>();
        foreach (var chunk in changes.Chunk(MaxChangesPerMessage))
        {
            var message = new EntitiesChanged(catalogVersion, chunk.Select(c => new EntityChange(c.Ref, c.Change)).ToList(), at);
            ids.Add(Guid.CreateVersion7(at));
            bodies.Add(JsonSerializer.Serialize(message, JsonSerializerOptions.Web));
        }

        // WITH ORDINALITY keeps the messages in the order of the changes they carry.
        await using var command = new NpgsqlCommand("""
            INSERT INTO catalog.outbox (message_id, message_type, body)
            SELECT m.id, @type, m.body::jsonb FROM unnest(@ids, @bodies) WITH ORDINALITY AS m(id, body, n) ORDER BY m.n
            """, connection);
        command.Parameters.AddWithValue("type", MessageType);
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids.ToArray() });
        command.Parameters.Add(new NpgsqlParameter("bodies", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = bodies.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
