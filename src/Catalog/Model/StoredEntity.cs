using Portal.Catalog.Ingestion.Descriptors;

namespace Portal.Catalog.Model;

/// <summary>An entity as a write left it: its uid, its etag and what was processed (document and emitted relations).</summary>
public sealed record StoredEntity(Guid Uid, string Etag, ProcessedEntity Entity);
