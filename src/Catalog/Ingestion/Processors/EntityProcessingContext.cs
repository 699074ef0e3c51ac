using System.Text.Json.Nodes;
using Portal.Catalog.Model;

namespace Portal.Catalog.Ingestion.Processors;

/// <summary>
/// One document on its way through the processors: the descriptor, the identity found by
/// <see cref="EnvelopeProcessor"/>, and what processors report and derive. Used by one thread at a time.
/// </summary>
public sealed class EntityProcessingContext
{
    private readonly List<CatalogProblem> _problems = [];
    private readonly List<EntityRelation> _relations = [];
    private readonly HashSet<EntityRelation> _seenRelations = [];

    /// <param name="source">The file path, URL or other origin, used in messages.</param>
    /// <param name="documentIndex">The 1-based position of the document in its source.</param>
    /// <param name="document">The descriptor; processors may change it (normalization).</param>
    public EntityProcessingContext(string source, int documentIndex, JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(document);
        Source = source;
        DocumentIndex = documentIndex;
        Document = document;
    }

    public string Source { get; }

    public int DocumentIndex { get; }

    /// <summary>The descriptor. Mutable: what it holds after the last processor is what gets stored.</summary>
    public JsonObject Document { get; }

    /// <summary>The kind as written; null until the envelope is validated.</summary>
    public string? Kind { get; private set; }

    /// <summary>The namespace as written, or <c>default</c>; null until the envelope is validated.</summary>
    public string? Namespace { get; private set; }

    /// <summary>The name as written; null until the envelope is validated.</summary>
    public string? Name { get; private set; }

    /// <summary>The entity's reference; null until <see cref="EnvelopeProcessor"/> has validated the envelope.</summary>
    public EntityRef? Ref { get; private set; }

    /// <summary>The resolved <c>spec.owner</c>, set by the processor that knows the kind.</summary>
    public EntityRef? Owner { get; set; }

    /// <summary>The resolved <c>spec.system</c>, set by the processor that knows the kind.</summary>
    public EntityRef? System { get; set; }

    /// <summary>For a Location: <c>spec.type</c>.</summary>
    public string? LocationType { get; set; }

    /// <summary>For a Location: <c>spec.target</c> and <c>spec.targets</c>, as written.</summary>
    public IReadOnlyList<string> LocationTargets { get; set; } = [];

    /// <summary>True once any processor has reported an error: the document will be rejected.</summary>
    public bool HasErrors { get; private set; }

    /// <summary>Errors and warnings reported so far, in order.</summary>
    public IReadOnlyList<CatalogProblem> Problems => _problems;

    /// <summary>Relations emitted so far, without duplicates.</summary>
    public IReadOnlyList<EntityRelation> Relations => _relations;

    /// <summary>Reports an error; the document will be rejected and no later processor runs on it.</summary>
    /// <param name="field">The field path, e.g. <c>spec.dependsOn[0]</c>; null for the whole document.</param>
    /// <param name="message">What is wrong, in a sentence that reads after the field path.</param>
    public void Error(string? field, string message)
    {
        HasErrors = true;
        _problems.Add(new CatalogProblem(ProblemLevel.Error, Source, DocumentIndex, field, message));
    }

    /// <summary>Reports a warning; it is kept on the entity and does not reject it.</summary>
    public void Warning(string? field, string message) =>
        _problems.Add(new CatalogProblem(ProblemLevel.Warning, Source, DocumentIndex, field, message));

    /// <summary>
    /// Adds a relation. Backstage processors emit both directions of an edge from the entity that declares it (for
    /// <c>spec.owner</c>: <c>ownedBy</c> from this entity and <c>ownerOf</c> from the owner), and so should yours.
    /// </summary>
    public void EmitRelation(EntityRelation relation)
    {
        ArgumentNullException.ThrowIfNull(relation);
        if (_seenRelations.Add(relation))
        {
            _relations.Add(relation);
        }
    }

    /// <summary>Sets the identity once the envelope is known to be valid.</summary>
    internal void Identify(string kind, string @namespace, string name)
    {
        Kind = kind;
        Namespace = @namespace;
        Name = name;
        Ref = new EntityRef(kind, @namespace, name);
    }
}
