using Portal.Catalog.Model;

namespace Portal.Catalog.Ingestion.Descriptors;

/// <summary>What one file (or one API document) produced.</summary>
/// <param name="Entities">The accepted entities, in document order.</param>
/// <param name="Problems">Errors: one or more for each rejected document, or a single one when the whole file was rejected.</param>
public sealed record DescriptorBatch(IReadOnlyList<ProcessedEntity> Entities, IReadOnlyList<CatalogProblem> Problems)
{
    /// <summary>
    /// True when the file could not be read at all (too large, not YAML, over a limit): <see cref="Entities"/> is then
    /// empty although the file may well define entities, so callers must not treat those as removed.
    /// </summary>
    public bool FileRejected { get; init; }
}
