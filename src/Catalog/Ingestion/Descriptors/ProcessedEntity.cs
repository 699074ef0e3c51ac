using System.Text.Json.Nodes;
using Portal.Catalog.Model;

namespace Portal.Catalog.Ingestion.Descriptors;

/// <summary>An entity that passed every processor: its identity, normalized document and what was derived from it.</summary>
/// <param name="Ref">The entity's reference (kind, namespace and name as written; compare through <see cref="EntityRef.Canonical"/>).</param>
/// <param name="Kind">The kind as written, e.g. <c>Component</c>.</param>
/// <param name="Document">The descriptor, with <c>metadata.namespace</c> filled in (<c>default</c>) when it was missing,
/// and the output-only <c>relations</c> and <c>status</c> removed.</param>
/// <param name="Type"><c>spec.type</c> when it is a string.</param>
/// <param name="Lifecycle"><c>spec.lifecycle</c> when it is a string.</param>
/// <param name="Owner">The resolved <c>spec.owner</c>, for kinds that have one.</param>
/// <param name="System">The resolved <c>spec.system</c> of a Component, API or Resource.</param>
/// <param name="Relations">The relations derived from this entity's own spec, each with its reverse edge (so some have
/// another entity as their source), deduplicated within this entity.</param>
/// <param name="LocationTargets">For a Location, <c>spec.target</c> then <c>spec.targets</c>, as written; otherwise empty.</param>
/// <param name="LocationType">For a Location, <c>spec.type</c>; otherwise null.</param>
/// <param name="Warnings">Problems that did not reject the entity.</param>
/// <param name="Source">The file path, URL or other origin the entity was read from.</param>
/// <param name="DocumentIndex">The 1-based position of the document in its file.</param>
public sealed record ProcessedEntity(
    EntityRef Ref,
    string Kind,
    JsonObject Document,
    string? Type,
    string? Lifecycle,
    EntityRef? Owner,
    EntityRef? System,
    IReadOnlyList<EntityRelation> Relations,
    IReadOnlyList<string> LocationTargets,
    string? LocationType,
    IReadOnlyList<CatalogProblem> Warnings,
    string Source,
    int DocumentIndex);
