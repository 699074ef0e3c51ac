namespace Portal.Catalog.Persistence;

/// <summary>
/// A bus message waiting to be relayed (<c>catalog.outbox</c>): written in the same transaction as the change it
/// announces, so it exists exactly when the change committed. The gateway's outbox relay publishes it; the columns
/// are the relay's contract, shared by every module's outbox table.
/// </summary>
internal sealed class OutboxRow
{
    /// <summary>Insertion order within a transaction.</summary>
    public long Position { get; set; }

    /// <summary>
    /// The writing transaction (<c>pg_current_xact_id()</c>, filled by the database). Readers order by it and read only
    /// transactions older than every running one, so a transaction that commits late is never skipped.
    /// </summary>
    public ulong TransactionId { get; set; }

    /// <summary>The bus message id; the same on every delivery, so consumers can drop a repeat.</summary>
    public Guid MessageId { get; set; }

    /// <summary>Full name of the contract type in <c>Portal.Contracts</c>, e.g. <c>Portal.Contracts.Catalog.EntitiesChanged</c>.</summary>
    public string MessageType { get; set; } = "";

    /// <summary>The message as JSON (System.Text.Json web defaults: camelCase members).</summary>
    public string Body { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When a relay first published it; null while it still has to be.</summary>
    public DateTimeOffset? SentAt { get; set; }

    /// <summary>Why it can never be published (an unknown type, a body that does not parse); such rows are skipped.</summary>
    public string? Error { get; set; }
}
