namespace Portal.Catalog.Model;

/// <summary>
/// The kind a short reference gets in the fields that have one (Backstage's defaults): <c>owner: team-a</c> means
/// <c>group:default/team-a</c>. Ingestion applies them to descriptors, and the query API to filters by owner or system,
/// so "team-a" finds what its descriptors own.
/// </summary>
public static class DefaultKinds
{
    /// <summary><c>spec.owner</c> of every kind that has one.</summary>
    public const string Owner = "Group";

    /// <summary><c>spec.system</c> of a Component, API or Resource.</summary>
    public const string System = "System";
}
