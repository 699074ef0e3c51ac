using Microsoft.EntityFrameworkCore;

namespace Portal.Postgres.Inbox;

/// <summary>
/// A bus message a consumer has handled (<c>{schema}.inbox</c>): claimed with
/// <see cref="InboxTable.TryClaimAsync"/> in the transaction that applies the message, so the message's effect and
/// its claim commit together or not at all. A module adds the table to its model with <see cref="InboxModel.AddInbox"/>.
/// </summary>
public sealed class InboxRow
{
    /// <summary>Who handled it: the consumer's name, so that two consumers of one message each get their turn.</summary>
    public string Consumer { get; set; } = "";

    /// <summary>The bus message id, the same on every delivery of the message.</summary>
    public Guid MessageId { get; set; }

    public DateTimeOffset ClaimedAt { get; set; }
}

public static class InboxModel
{
    /// <summary>Adds the <c>inbox</c> table to a module's model, in the model's default schema.</summary>
    public static ModelBuilder AddInbox(this ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<InboxRow>(inbox =>
        {
            inbox.ToTable("inbox");
            inbox.HasKey(i => new { i.Consumer, i.MessageId });
            inbox.Property(i => i.Consumer).HasColumnName("consumer");
            inbox.Property(i => i.MessageId).HasColumnName("message_id");
            inbox.Property(i => i.ClaimedAt).HasColumnName("claimed_at").HasDefaultValueSql("now()");

            // Pruning deletes by age.
            inbox.HasIndex(i => i.ClaimedAt).HasDatabaseName("ix_inbox_claimed_at");
        });
        return modelBuilder;
    }
}
