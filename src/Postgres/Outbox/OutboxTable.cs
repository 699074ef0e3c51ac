using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Portal.Contracts.Catalog;
using Portal.Postgres.Migrations;

namespace Portal.Postgres.Outbox;

/// <summary>
/// One module's outbox (<c>{schema}.outbox</c>, added to its model with <see cref="OutboxModel.AddOutbox"/>). A module
/// writes its messages here in the transaction that makes the change they announce, and registers the table with
/// <see cref="OutboxRegistration.AddOutbox"/> so that the host's relay publishes them once the transaction commits.
/// </summary>
public sealed class OutboxTable
{
    private static readonly System.Reflection.Assembly Contracts = typeof(EntitiesChanged).Assembly;

    private readonly string _insert;

    public OutboxTable(string schema)
    {
        ModuleDatabaseRegistration.RequireSchemaName(schema);
        Schema = schema;
        Name = $"{schema}.outbox";
        // WITH ORDINALITY keeps the rows in the order of the messages, which is the order they are published in.
        _insert = $"""
            INSERT INTO {Name} (message_id, message_type, body)
            SELECT m.id, @type, m.body::jsonb FROM unnest(@ids, @bodies) WITH ORDINALITY AS m(id, body, n) ORDER BY m.n
            """;
    }

    public string Schema { get; }

    /// <summary>The table's qualified name.</summary>
    public string Name { get; }

    /// <summary>Writes one message, in the caller's transaction. Returns its message id.</summary>
    public async Task<Guid> WriteAsync<TMessage>(NpgsqlConnection connection, TMessage message, CancellationToken cancellationToken)
        where TMessage : class => (await WriteAllAsync(connection, [message], cancellationToken))[0];

    /// <summary>
    /// Writes messages of one contract type, in order and in one round trip, in the caller's transaction (the
    /// connection's current one). Returns their message ids. The type must be a contract of <c>Portal.Contracts</c>:
    /// the relay publishes nothing else.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> WriteAllAsync<TMessage>(
        NpgsqlConnection connection, IReadOnlyList<TMessage> messages, CancellationToken cancellationToken)
        where TMessage : class
    {
        if (typeof(TMessage).Assembly != Contracts || typeof(TMessage).FullName is not { } type)
        {
            throw new ArgumentException($"{typeof(TMessage)} is not a message contract of Portal.Contracts.", nameof(messages));
        }

        if (messages.Count == 0)
        {
            return [];
        }

        var ids = new Guid[messages.Count];
        var bodies = new string[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            ids[i] = Guid.CreateVersion7();
            bodies[i] = JsonSerializer.Serialize(messages[i], JsonSerializerOptions.Web);
        }

        await using var command = new NpgsqlCommand(_insert, connection);
        command.Parameters.AddWithValue("type", type);
        command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids });
        command.Parameters.Add(new NpgsqlParameter("bodies", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = bodies });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ids;
    }
}
