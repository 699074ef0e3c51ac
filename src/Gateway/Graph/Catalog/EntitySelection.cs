using System.Runtime.CompilerServices;
using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Portal.Gateway.Graph.Catalog;

/// <summary>
/// Reads the query ahead to decide whether the entities a field returns need their relations. Relations are the
/// costliest part of an entity to read (a subquery per row, and most of its bytes), and a page that shows names,
/// owners and systems never uses them. This is only a hint: a field that needs relations on an entity read without
/// them asks the loader for them (<see cref="EntityLoader.WithRelations"/>), so a wrong guess costs a round trip,
/// never a wrong answer.
/// </summary>
internal static class EntitySelection
{
    private const string NeedsRelationsKey = "portal.needsRelations";

    // Fragments nest; validation has refused cycles and bounded depth already, this is a second guard.
    private const int MaxFragmentNesting = 32;

    private static readonly ConditionalWeakTable<ISchema, HashSet<string>> FieldsNeedingRelations = [];

    /// <summary>Marks an entity field whose resolver reads the entity's relations.</summary>
    public static FieldBuilder<TSource, TReturn> ReadsRelations<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field)
    {
        field.FieldType.Metadata[NeedsRelationsKey] = true;
        return field;
    }

    /// <summary>For a field returning entities (entity, owner, dependsOn, ...): whether its selection reads relations.</summary>
    public static bool NeedsRelations(IResolveFieldContext context) =>
        context.FieldAst.SelectionSet is { } selection && ReadsRelations(context, selection);

    /// <summary>For a connection of entities: whether <c>nodes</c> or <c>edges { node }</c> read relations.</summary>
    public static bool NodesNeedRelations(IResolveFieldContext context)
    {
        if (context.FieldAst.SelectionSet is not { } connection)
        {
            return false;
        }

        foreach (var field in Fields(context, connection, 0))
        {
            if (field.SelectionSet is not { } inner)
            {
                continue;
            }

            if (field.Name.StringValue == "nodes" && ReadsRelations(context, inner))
            {
                return true;
            }

            if (field.Name.StringValue == "edges"
                && Fields(context, inner, 0).Any(f => f.Name.StringValue == "node" && f.SelectionSet is { } node && ReadsRelations(context, node)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether any field selected on the entities themselves reads relations. Fields under a relation field (an
    /// owner's name) are about other entities, which the loader reads with their own selection.
    /// </summary>
    private static bool ReadsRelations(IResolveFieldContext context, GraphQLSelectionSet selection)
    {
        var names = FieldsNeedingRelations.GetValue(context.Schema, NamesIn);
        return Fields(context, selection, 0).Any(f => names.Contains(f.Name.StringValue));
    }

    /// <summary>The fields of a selection set, through inline fragments and fragment spreads.</summary>
    private static IEnumerable<GraphQLField> Fields(IResolveFieldContext context, GraphQLSelectionSet selection, int nesting)
    {
        if (nesting > MaxFragmentNesting)
        {
            yield break;
        }

        foreach (var node in selection.Selections)
        {
            var inner = node switch
            {
                GraphQLInlineFragment inline => inline.SelectionSet,
                GraphQLFragmentSpread spread => context.Document.Definitions.OfType<GraphQLFragmentDefinition>()
                    .FirstOrDefault(d => d.FragmentName.Name == spread.FragmentName.Name)?.SelectionSet,
                _ => null,
            };
            if (node is GraphQLField field)
            {
                yield return field;
            }
            else if (inner is not null)
            {
                foreach (var nested in Fields(context, inner, nesting + 1))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>
    /// Names of the marked fields on any entity type. By name, not by type: a field name that reads relations on one
    /// kind is treated as reading them on every kind, which can only read more than needed.
    /// </summary>
    private static HashSet<string> NamesIn(ISchema schema) =>
        schema.AllTypes.OfType<IComplexGraphType>()
            .SelectMany(t => t.Fields)
            .Where(f => f.GetMetadata(NeedsRelationsKey, false))
            .Select(f => f.Name)
            .ToHashSet(StringComparer.Ordinal);
}
