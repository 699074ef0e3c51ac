using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Portal.Catalog.Persistence.Configurations;

internal sealed class OutboxRowConfiguration : IEntityTypeConfiguration<OutboxRow>
{
    public void Configure(EntityTypeBuilder<OutboxRow> outbox)
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
    }
}
