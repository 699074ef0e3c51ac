using Npgsql;
using Portal.Contracts.Catalog;

namespace Portal.Catalog.Persistence.Writes;

/// <summary>
/// Announces committed catalog changes on the bus: <see cref="EntitiesChanged"/> rows in the catalog's outbox, written
/// in the transaction that makes the changes. Messages carry refs, not documents, so a 100,000-entity ingestion adds
/// a few hundred small rows.
/// </summary>
internal static class ChangeOutbox
{
    /// <summary>Changes per <see cref="EntitiesChanged"/> message: small enough for any broker, few rows for a big write.</summary>
    public const int MaxChangesPerMessage = 500;

    public static async Task WriteAsync(
        NpgsqlConnection connection, IReadOnlyCollection<HistoryEntry> changes, long catalogVersion, CancellationToken cancellationToken)
    {
        var at = DateTimeOffset.UtcNow;
        var messages = changes.Chunk(MaxChangesPerMessage)
            .Select(chunk => new EntitiesChanged(catalogVersion, chunk.Select(c => new EntityChange(c.Ref, c.Change)).ToList(), at))
            .ToList();
        await CatalogDbContext.Outbox.WriteAllAsync(connection, messages, cancellationToken);
    }
}
