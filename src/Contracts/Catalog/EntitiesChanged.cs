namespace Portal.Contracts.Catalog;

/// <summary>
/// Entities of the catalog changed in one committed write. Published through the catalog's outbox, so it is sent at
/// least once after the write commits and never for a write that rolled back; consumers must tolerate a repeat
/// (the message id is stable across repeats). One write may produce several messages: each carries at most
/// 500 changes, in the order they were made.
/// </summary>
/// <param name="CatalogVersion">The catalog's version once the write committed; a later write has a larger one.</param>
/// <param name="Changes">The entities that changed, by reference only: read the catalog for their current state.</param>
/// <param name="At">When the write happened.</param>
public sealed record EntitiesChanged(long CatalogVersion, IReadOnlyList<EntityChange> Changes, DateTimeOffset At);

/// <summary>One entity that changed.</summary>
/// <param name="Ref">The entity reference, canonical and lower-case: <c>kind:namespace/name</c>. For a deleted
/// entity it is all that is left of it.</param>
/// <param name="Change"><see cref="Created"/>, <see cref="Updated"/>, <see cref="Deleted"/> or <see cref="Orphaned"/>;
/// a consumer should ignore a value it does not know, as new ones may be added.</param>
public sealed record EntityChange(string Ref, string Change)
{
    public const string Created = "created";
    public const string Updated = "updated";
    public const string Deleted = "deleted";

    /// <summary>Its location no longer emits it, and the catalog keeps it marked as an orphan.</summary>
    public const string Orphaned = "orphaned";
}
