using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using GraphQL;
using GraphQL.Instrumentation;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser;
using GraphQLParser.AST;
using Portal.Gateway.GraphQL.Protection;

namespace Portal.Gateway.GraphQL.Execution.Prepared;

/// <summary>
/// One operation of a document that parsed and passed every validation rule, with what validation learns from the
/// document alone: the fields that take arguments, the nodes with directives, and what the authorizer is asked about
/// each selected field. GraphQL.NET's validator walks the whole document three times per request to find these again (each walk a
/// visitor over every node, about a fifth of a small request's time); <see cref="PreparedOperationValidator"/> uses
/// them instead and computes only what depends on the request: variables, argument values, complexity, authorization.
/// Execution then reuses the fields it collects for each selection set (<see cref="PreparedQueryExecutionStrategy"/>).
/// </summary>
internal sealed class PreparedOperation
{
    // The operation node is the key: a request runs this node only if it came from the cached document.
    private static readonly ConditionalWeakTable<GraphQLOperationDefinition, PreparedOperation> ByOperation = [];

    private readonly HashSet<GraphQLField> _documentFields = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<GraphQLSelectionSet> _documentSelectionSets = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<GraphQLSelectionSet, (IGraphType Type, CollectedField[]? Fields)[]> _collectedFields = new(ReferenceEqualityComparer.Instance);

    private PreparedOperation(GraphQLDocument document, GraphQLOperationDefinition operation)
    {
        Document = document;
        Operation = operation;

        // The same variable definitions with nothing selected: coercing variables over it skips the walk the validator
        // makes to find where each variable is used (it matters only for the case PrepareAsync excludes).
        VariablesOperation = new GraphQLOperationDefinition(new GraphQLSelectionSet([]))
        {
            Operation = operation.Operation,
            Name = operation.Name,
            Variables = operation.Variables,
            Location = operation.Location,
        };
        VariablesDocument = new GraphQLDocument([VariablesOperation]) { Source = document.Source };
    }

    public GraphQLDocument Document { get; }

    public GraphQLOperationDefinition Operation { get; }

    public GraphQLDocument VariablesDocument { get; }

    public GraphQLOperationDefinition VariablesOperation { get; }

    /// <summary>Fields with arguments in the text, in the order GraphQL.NET's validator parses them.</summary>
    public List<(GraphQLField Field, FieldType Definition)> FieldsWithArguments { get; } = [];

    /// <summary>Nodes with directives (<c>@skip</c>, <c>@include</c>); variable definitions have none (see <see cref="PrepareAsync"/>).</summary>
    public List<IHasDirectivesNode> NodesWithDirectives { get; } = [];

    /// <summary>Every field of the document with what the authorization rule asks about it.</summary>
    public List<(GraphQLField Field, AccessResource Resource)> SelectedFields { get; } = [];

    /// <summary>
    /// The prepared operation a request is running, if it is one whose walks are skipped. Only the cache hands out
    /// these operation nodes, so a request that runs one came from a cached document.
    /// </summary>
    public static PreparedOperation? Of(GraphQLOperationDefinition? operation) =>
        operation is not null && ByOperation.TryGetValue(operation, out var prepared) ? prepared : null;

    /// <summary>
    /// The fields a selection set selects on an object type, if collected before (through fragments that match the
    /// type). Null fields (with true) mean they are collected on every request: with directives, which variables switch
    /// on and off, or where two selections of one field merge (execution then makes new field and selection set nodes
    /// and gives them the request's argument values).
    /// </summary>
    public bool TryGetCollectedFields(GraphQLSelectionSet selectionSet, IGraphType type, out CollectedField[]? fields)
    {
        fields = null;

        // A selection set that is not the document's was made by merging selections during this request: keeping it
        // would add an entry per request that no later request can find.
        if (NodesWithDirectives.Count > 0 || !_documentSelectionSets.Contains(selectionSet))
        {
            return true;
        }

        // A selection set meets few object types (one per kind at most): a short list beats hashing the type.
        if (_collectedFields.TryGetValue(selectionSet, out var byType))
        {
            foreach (var (knownType, known) in byType)
            {
                if (ReferenceEquals(knownType, type))
                {
                    fields = known;
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>How many field lists are kept: bounded by the document's selection sets times the types they meet.</summary>
    public int CollectedFieldListCount => _collectedFields.Values.Sum(byType => byType.Length);

    /// <summary>Keeps what execution collected for a selection set and type; returns it, or null if it cannot be reused.</summary>
    public CollectedField[]? RememberCollectedFields(GraphQLSelectionSet selectionSet, IGraphType type, Dictionary<string, (GraphQLField Field, FieldType Definition)> collected)
    {
        var fields = collected.Values.Select(f => new CollectedField(f.Field, f.Definition)).ToArray();
        var reusable = fields.All(f => _documentFields.Contains(f.Field)) ? fields : null;
        _collectedFields.AddOrUpdate(selectionSet, _ => [(type, reusable)], (_, byType) => [.. byType, (type, reusable)]);
        return reusable;
    }

    /// <summary>
    /// Prepares an operation that has just been validated. The full walks stay for an operation that uses a nullable
    /// variable where a non-null value is required (the validator then tightens the variable's type, and finding
    /// where each variable is used is the walk this class exists to skip), and for one with a directive on a variable
    /// definition (whose values only the full validator computes).
    /// </summary>
    public static async Task<PreparedOperation> PrepareAsync(ISchema schema, GraphQLDocument document, GraphQLOperationDefinition operation)
    {
        var validation = new ValidationContext
        {
            Schema = schema,
            Document = document,
            Operation = operation,
            TypeInfo = new TypeInfo(schema),
            Variables = Inputs.Empty,
            Extensions = Inputs.Empty,
            UserContext = new Dictionary<string, object?>(),
            Metrics = Metrics.None,
        };

        if (operation.Variables?.Items.Any(definition => definition.Directives is { Count: > 0 }) == true)
        {
            return new PreparedOperation(document, operation); // not registered: requests keep the full walks
        }

        foreach (var usage in validation.GetRecursiveVariables(operation) ?? [])
        {
            var definition = operation.Variables?.Items.FirstOrDefault(d => d.Variable.Name == usage.Node.Name);
            if (definition is not null && definition.Type is not GraphQLNonNullType && usage.Type is NonNullGraphType)
            {
                return new PreparedOperation(document, operation); // not registered: requests keep the full walks
            }
        }

        var prepared = new PreparedOperation(document, operation);
        await new BasicVisitor(validation.TypeInfo, new MatchingNodeVisitor<GraphQLSelectionSet>((selectionSet, _) =>
            prepared._documentSelectionSets.Add(selectionSet)), new MatchingNodeVisitor<GraphQLField>((field, context) =>
        {
            prepared._documentFields.Add(field);
            if (GraphQLAuthorizationRule.Resource(schema, context.TypeInfo.GetParentType(), context.TypeInfo.GetFieldDef(), field) is { } resource)
            {
                prepared.SelectedFields.Add((field, resource));
            }
        })).VisitAsync(document, new BasicVisitor.State(validation));

        prepared.NoteDirectives(operation);
        var root = operation.Operation switch
        {
            OperationType.Query => schema.Query,
            OperationType.Mutation => schema.Mutation,
            _ => schema.Subscription,
        };
        prepared.Walk(schema, operation.SelectionSet, root, []);
        ByOperation.AddOrUpdate(operation, prepared);
        return prepared;
    }

    /// <summary>
    /// Follows the selection the way GraphQL.NET's argument parser does (each fragment once, a union keeps its
    /// parent's type), so the fields found are the ones it would parse arguments for.
    /// </summary>
    private void Walk(ISchema schema, GraphQLSelectionSet? selectionSet, IComplexGraphType? type, HashSet<string> fragmentsSeen)
    {
        foreach (var selection in selectionSet?.Selections ?? [])
        {
            NoteDirectives(selection);
            switch (selection)
            {
                case GraphQLField field:
                    var definition = FindField(schema, type, field);
                    if (definition is null)
                    {
                        break;
                    }

                    if (field.Arguments is { Count: > 0 })
                    {
                        FieldsWithArguments.Add((field, definition));
                    }

                    var fieldType = definition.ResolvedType?.GetNamedType();
                    if (fieldType is IComplexGraphType complex)
                    {
                        Walk(schema, field.SelectionSet, complex, fragmentsSeen);
                    }
                    else if (fieldType is UnionGraphType)
                    {
                        Walk(schema, field.SelectionSet, type, fragmentsSeen);
                    }

                    break;

                case GraphQLInlineFragment inline:
                    WalkFragment(schema, inline.TypeCondition, inline.SelectionSet, type, fragmentsSeen);
                    break;

                case GraphQLFragmentSpread spread when fragmentsSeen.Add(spread.FragmentName.Name.StringValue):
                    if (Document.FindFragmentDefinition(spread.FragmentName.Name.Value) is { } fragment)
                    {
                        NoteDirectives(fragment);
                        WalkFragment(schema, fragment.TypeCondition, fragment.SelectionSet, type, fragmentsSeen);
                    }

                    break;
            }
        }
    }

    private void WalkFragment(ISchema schema, GraphQLTypeCondition? condition, GraphQLSelectionSet selectionSet, IComplexGraphType? type, HashSet<string> fragmentsSeen)
    {
        var conditionType = condition is null ? type : schema.AllTypes[condition.Type.Name.Value]?.GetNamedType();
        if (conditionType is IComplexGraphType complex)
        {
            Walk(schema, selectionSet, complex, fragmentsSeen);
        }
        else if (conditionType is IAbstractGraphType)
        {
            Walk(schema, selectionSet, type, fragmentsSeen);
        }
    }

    private static FieldType? FindField(ISchema schema, IComplexGraphType? type, GraphQLField field)
    {
        var name = field.Name.Value;
        return name == schema.TypeMetaFieldType.Name ? schema.TypeMetaFieldType
            : name == schema.TypeNameMetaFieldType.Name ? schema.TypeNameMetaFieldType
            : name == schema.SchemaMetaFieldType.Name ? schema.SchemaMetaFieldType
            : type?.Fields.Find(name);
    }

    private void NoteDirectives(ASTNode node)
    {
        if (node is IHasDirectivesNode { Directives.Count: > 0 } withDirectives)
        {
            NodesWithDirectives.Add(withDirectives);
        }
    }

}

/// <summary>A field execution selects for an object, with its definition on the object's type.</summary>
internal sealed record CollectedField(GraphQLField Field, FieldType Definition);
