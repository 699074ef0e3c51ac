using System.Text.Json.Nodes;
using Portal.Catalog.Ingestion.Processors;
using Portal.Catalog.Model;

namespace Portal.Catalog.Ingestion.Descriptors;

/// <summary>
/// Reads descriptor files and runs each document through the registered <see cref="IEntityProcessor"/>s. Stateless
/// after construction, so one instance serves concurrent callers.
/// </summary>
public sealed class DescriptorPipeline
{
    private readonly IEntityProcessor[] _processors;
    private readonly DescriptorLimits _limits;

    /// <param name="processors">The processors, run in ascending <see cref="IEntityProcessor.Order"/>.</param>
    /// <param name="limits">Bounds applied to every file.</param>
    public DescriptorPipeline(IEnumerable<IEntityProcessor> processors, DescriptorLimits limits)
    {
        ArgumentNullException.ThrowIfNull(processors);
        ArgumentNullException.ThrowIfNull(limits);
        _processors = [.. processors.OrderBy(p => p.Order).ThenBy(p => p.Name, StringComparer.Ordinal)];
        _limits = limits;
    }

    /// <summary>
    /// Reads a file of one or more YAML (or JSON) documents. A document with any error is rejected and the others are
    /// kept; a file that is not YAML or breaks a <see cref="DescriptorLimits"/> bound is rejected as a whole
    /// (<see cref="DescriptorBatch.FileRejected"/>). An entity defined twice in the file keeps its first definition.
    /// </summary>
    /// <param name="source">The file path or URL, used in messages.</param>
    /// <param name="content">The file's text.</param>
    public DescriptorBatch ReadFile(string source, string content)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(content);
        var read = YamlDocumentReader.Read(source, content, _limits);
        if (read.FileProblem is { } fileProblem)
        {
            return new DescriptorBatch([], [fileProblem]) { FileRejected = true };
        }

        var entities = new List<ProcessedEntity>(read.Documents.Count);
        var problems = new List<CatalogProblem>();
        var firstDefinedIn = new Dictionary<EntityRef, int>();
        foreach (var document in read.Documents)
        {
            if (document.Problem is { } problem)
            {
                problems.Add(problem);
                continue;
            }

            var (entity, errors) = Run(source, document.Index, document.Root!);
            if (entity is null)
            {
                problems.AddRange(errors);
            }
            else if (firstDefinedIn.TryGetValue(entity.Ref, out var first))
            {
                problems.Add(new CatalogProblem(ProblemLevel.Error, source, document.Index, "metadata.name",
                    $"duplicate entity ref {entity.Ref.Canonical}: first defined in document {first}"));
            }
            else
            {
                firstDefinedIn.Add(entity.Ref, document.Index);
                entities.Add(entity);
            }
        }

        return new DescriptorBatch(entities, problems);
    }

    /// <summary>Processes one entity written through the API. The caller's object is not changed.</summary>
    /// <param name="source">Where the entity came from, used in messages.</param>
    /// <param name="documentIndex">The 1-based index to report in messages.</param>
    /// <param name="document">The entity as JSON.</param>
    public DescriptorBatch ProcessDocument(string source, int documentIndex, JsonObject document)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(document);
        var (entity, errors) = Run(source, documentIndex, (JsonObject)document.DeepClone());
        return entity is null ? new DescriptorBatch([], errors) : new DescriptorBatch([entity], []);
    }

    private (ProcessedEntity? Entity, IReadOnlyList<CatalogProblem> Errors) Run(string source, int documentIndex, JsonObject document)
    {
        var context = new EntityProcessingContext(source, documentIndex, document);
        foreach (var processor in _processors)
        {
            try
            {
                processor.Process(context);
            }
            catch (Exception exception)
            {
                // A plugin's bug rejects this one document instead of aborting the file, and with it a whole location.
                context.Error(null, $"processor {processor.Name} failed: {exception.GetType().Name}: {exception.Message}");
            }

            if (context.HasErrors)
            {
                break;
            }
        }

        if (!context.HasErrors && context.Ref is null)
        {
            context.Error(null, "no processor identified the entity; is the envelope processor registered?");
        }

        if (context.HasErrors)
        {
            return (null, [.. context.Problems.Where(p => p.Level == ProblemLevel.Error)]);
        }

        var spec = document["spec"] as JsonObject;
        var entity = new ProcessedEntity(
            context.Ref!,
            context.Kind!,
            document,
            JsonFields.AsString(spec?["type"]),
            JsonFields.AsString(spec?["lifecycle"]),
            context.Owner,
            context.System,
            context.Relations,
            context.LocationTargets,
            context.LocationType,
            context.Problems,
            source,
            documentIndex);
        return (entity, []);
    }
}
