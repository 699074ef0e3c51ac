using Microsoft.EntityFrameworkCore;

namespace Portal.Postgres.Outbox;

/// <summary>
/// A bus message waiting to be relayed (<c>{schema}.outbox</c>): written by <see cref="OutboxTable"/>
/// in the same transaction as the change it announces, so it exists exactly when the change committed, and published
/// by the <see cref="OutboxRelay"/> after the commit. A module adds the table to its model with
/// <see cref="OutboxModel.AddOutbox"/>; these columns are the contract between the writer and the relay.
/// </summary>
public sealed class OutboxRow
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

public static class OutboxModel
{
    /// <summary>Adds the <c>outbox</c> table to a module's model, in the model's default schema.</summary>
    public static ModelBuilder AddOutbox(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<OutboxRow>(outbox =>
        {
            outbox.ToTable("outbox");
            outbox.HasKey(o => o.Position);
            outbox.Property(o => o.Position).HasColumnName("position").UseIdentityAlwaysColumn();
            outbox.Property(o => o.TransactionId).HasColumnName("transaction_id").HasColumnType("xid8")
                .HasDefaultValueSql("pg_current_xact_id()");
            outbox.Property(o => o.MessageId).HasColumnName("message_id");
            outbox.Property(o => o.MessageType).HasColumnName("message_type");
            outbox.Property(o => o.Body).HasColumnName("body").HasColumnType("jsonb");
            outbox.Property(o => o.CreatedAt).HasColumnName("created_at").HasDefaultValueSql("now()");
            outbox.Property(o => o.SentAt).HasColumnName("sent_at");
            outbox.Property(o => o.Error).HasColumnName("error");

            outbox.HasIndex(o => o.MessageId).IsUnique().HasDatabaseName("ix_outbox_message_id");

            // Every replica reads the outbox in commit-safe order: by transaction, then position.
            outbox.HasIndex(o => new { o.TransactionId, o.Position }).HasDatabaseName("ix_outbox_transaction_position");

            // What still has to be published: the start position of a replica, and the claim of a shared relay.
            outbox.HasIndex(o => o.Position).HasFilter("sent_at IS NULL AND error IS NULL").HasDatabaseName("ix_outbox_unsent");
        });
        return modelBuilder;
    }
}
