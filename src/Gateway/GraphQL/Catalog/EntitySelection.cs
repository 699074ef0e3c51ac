using System.Runtime.CompilerServices;
using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using GraphQLParser.AST;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>
/// Reads the query ahead to decide which parts of an entity (<see cref="EntityParts"/>) the entities a field returns
/// need. The descriptor and the relations are most of what an entity costs to read (its bytes, and a subquery per row
/// for relations), and a page that shows names, owners and systems uses neither. This is only a hint: a field that
/// needs a part an entity was read without asks the loader for it (<see cref="EntityLoader.With"/>), so a wrong guess
/// costs a round trip, never a wrong answer.
/// </summary>
internal static class EntitySelection
{
    private const string PartsKey = "portal.entityParts";

    // Inline fragments nest without adding fields (fragment spreads are followed once each): bound the walk anyway.
    private const int MaxFragmentNesting = 32;

    private static readonly ConditionalWeakTable<ISchema, Dictionary<string, EntityParts>> PartsByFieldName = [];

    // A page resolves the same owner field for each of its entities, and cached documents come back request after
    // request: the answer is kept per field of the document (it dies with the document).
    private static readonly ConditionalWeakTable<GraphQLField, StrongBox<EntityParts>> PartsByField = [];
    private static readonly ConditionalWeakTable<GraphQLField, ConnectionParts> ConnectionPartsByField = [];

    private sealed record ConnectionParts(EntityParts Nodes, EntityParts? OwnersAndSystems);

    /// <summary>Marks an entity field whose resolver reads these parts of the entity.</summary>
    public static FieldBuilder<TSource, TReturn> Reads<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, EntityParts parts)
    {
        field.FieldType.Metadata[PartsKey] = parts;
        return field;
    }

    /// <summary>For a field returning entities (entity, owner, dependsOn, ...): the parts its selection reads.</summary>
    public static EntityParts PartsFor(IResolveFieldContext context)
    {
        var field = context.FieldAst;
        if (PartsByField.TryGetValue(field, out var known))
        {
            return known.Value;
        }

        var parts = field.SelectionSet is { } selection ? PartsRead(context, selection) : EntityParts.Columns;
        PartsByField.AddOrUpdate(field, new StrongBox<EntityParts>(parts));
        return parts;
    }

    /// <summary>For a connection of entities: the parts that <c>nodes</c> and <c>edges { node }</c> read.</summary>
    public static EntityParts NodePartsFor(IResolveFieldContext context) => ConnectionPartsFor(context).Nodes;

    /// <summary>
    /// For a connection of entities: the parts the <c>owner</c> and <c>system</c> of its nodes read, or null when
    /// the nodes show neither (then the page need not bring them along).
    /// </summary>
    public static EntityParts? OwnerAndSystemPartsFor(IResolveFieldContext context) => ConnectionPartsFor(context).OwnersAndSystems;

    private static ConnectionParts ConnectionPartsFor(IResolveFieldContext context)
    {
        var field = context.FieldAst;
        if (!ConnectionPartsByField.TryGetValue(field, out var parts))
        {
            parts = new ConnectionParts(ReadNodeParts(context), ReadOwnerAndSystemParts(context));
            ConnectionPartsByField.AddOrUpdate(field, parts);
        }

        return parts;
    }

    private static EntityParts ReadNodeParts(IResolveFieldContext context)
    {
        var parts = EntityParts.Columns;
        foreach (var selection in NodeSelections(context))
        {
            parts |= PartsRead(context, selection);
        }

        return parts;
    }

    private static EntityParts? ReadOwnerAndSystemParts(IResolveFieldContext context)
    {
        EntityParts? parts = null;
        foreach (var selection in NodeSelections(context))
        {
            foreach (var field in Fields(context, selection, 0).Where(f => f.Name.StringValue is "owner" or "system"))
            {
                parts = (parts ?? EntityParts.Columns) | (field.SelectionSet is { } inner ? PartsRead(context, inner) : EntityParts.Columns);
            }
        }

        return parts;
    }

    /// <summary>The selection sets of a connection's <c>nodes</c> and <c>edges { node }</c>.</summary>
    private static IEnumerable<GraphQLSelectionSet> NodeSelections(IResolveFieldContext context)
    {
        if (context.FieldAst.SelectionSet is not { } connection)
        {
            yield break;
        }

        foreach (var field in Fields(context, connection, 0))
        {
            if (field.SelectionSet is not { } inner)
            {
                continue;
            }

            if (field.Name.StringValue == "nodes")
            {
                yield return inner;
            }
            else if (field.Name.StringValue == "edges")
            {
                foreach (var node in Fields(context, inner, 0).Where(f => f.Name.StringValue == "node" && f.SelectionSet is not null))
                {
                    yield return node.SelectionSet!;
                }
            }
        }
    }

    /// <summary>
    /// The parts the fields selected on the entities themselves read. Fields under a relation field (an owner's
    /// name) are about other entities, which the loader reads with their own selection.
    /// </summary>
    private static EntityParts PartsRead(IResolveFieldContext context, GraphQLSelectionSet selection)
    {
        var partsByName = PartsByFieldName.GetValue(context.Schema, PartsIn);
        var parts = EntityParts.Columns;
        foreach (var field in Fields(context, selection, 0))
        {
            parts |= partsByName.GetValueOrDefault(field.Name.StringValue);
        }

        return parts;
    }

    /// <summary>
    /// The fields of a selection set, through inline fragments and fragment spreads. A fragment spread twice adds
    /// nothing new the second time, so each is followed once (as the specification's CollectFields does): a document
    /// that spreads fragments into each other cannot make this walk grow exponentially.
    /// </summary>
    private static IEnumerable<GraphQLField> Fields(
        IResolveFieldContext context, GraphQLSelectionSet selection, int nesting, HashSet<GraphQLFragmentDefinition>? followed = null)
    {
        if (nesting > MaxFragmentNesting)
        {
            yield break;
        }

        followed ??= [];
        foreach (var node in selection.Selections)
        {
            var inner = node switch
            {
                GraphQLInlineFragment inline => inline.SelectionSet,
                GraphQLFragmentSpread spread => context.Document.Definitions.OfType<GraphQLFragmentDefinition>()
                    .FirstOrDefault(d => d.FragmentName.Name == spread.FragmentName.Name) is { } fragment && followed.Add(fragment)
                        ? fragment.SelectionSet
                        : null,
                _ => null,
            };
            if (node is GraphQLField field)
            {
                yield return field;
            }
            else if (inner is not null)
            {
                foreach (var nested in Fields(context, inner, nesting + 1, followed))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>
    /// The parts each marked field name reads, on any type. By name, not by type: a field name that reads a part on
    /// one kind is treated as reading it on every kind, which can only read more than needed.
    /// </summary>
    private static Dictionary<string, EntityParts> PartsIn(ISchema schema)
    {
        var parts = new Dictionary<string, EntityParts>(StringComparer.Ordinal);
        foreach (var field in schema.AllTypes.OfType<IComplexGraphType>().SelectMany(t => t.Fields))
        {
            if (field.GetMetadata(PartsKey, EntityParts.Columns) is var read and not EntityParts.Columns)
            {
                parts[field.Name] = parts.GetValueOrDefault(field.Name) | read;
            }
        }

        return parts;
    }
}
