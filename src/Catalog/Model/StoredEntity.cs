using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Queries;

namespace Portal.Catalog.Model;

/// <summary>
/// An entity as a write left it: its uid and etag, what was processed (the document and the relations it emits), and
/// its stored status items (its processing warnings).
/// </summary>
public sealed record StoredEntity(Guid Uid, string Etag, ProcessedEntity Entity, IReadOnlyList<StatusItem> Status);
