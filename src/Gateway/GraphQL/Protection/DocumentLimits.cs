using GraphQL.Validation;
using GraphQLParser;
using GraphQLParser.AST;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>
/// The limits that bound what validation itself costs, checked in one pass over the parsed document before any
/// validation rule runs. The specification's rules are not linear: the overlapping-fields rule compares fields with
/// the fields of every fragment they meet, for every selection set, and several rules follow fragment spreads by
/// recursion. Without these bounds an 82 KB chain of spreads took 24 s of CPU to validate, and a longer one overflowed
/// the stack (which ends the process). So: fields, aliases and input values in the text, directives per location,
/// fragment definitions, the longest chain of spreads, the fields each operation or fragment selects with its spreads
/// expanded, and the pairs of fields the overlapping-fields rule compares. Each walk here is iterative (an explicit
/// stack) and bounded by the limits checked before it: the text first, then the spreads, then the pairs.
/// </summary>
internal static class DocumentLimits
{
    public const string TooManyFields = "TOO_MANY_FIELDS";
    public const string TooManyAliases = "TOO_MANY_ALIASES";
    public const string TooManyDirectives = "TOO_MANY_DIRECTIVES";
    public const string TooManyFragments = "TOO_MANY_FRAGMENTS";
    public const string FragmentTooDeep = "FRAGMENT_TOO_DEEP";
    public const string TooManyExpandedFields = "TOO_MANY_EXPANDED_FIELDS";
    public const string TooManyOverlappingFields = "TOO_MANY_OVERLAPPING_FIELDS";
    public const string TooManyInputValues = "TOO_MANY_INPUT_VALUES";
    public const string TooManyOperations = "TOO_MANY_OPERATIONS";
    public const string TooManyVariables = "TOO_MANY_VARIABLES";

    /// <summary>The limits the document goes beyond (each reported once, at the first node beyond it), or null.</summary>
    public static List<ValidationError>? Check(GraphQLDocument document, GraphQLOptions limits)
    {
        var errors = new List<ValidationError>();
        var roots = new List<Root>();
        var fragments = new Dictionary<ROM, int>();
        var fields = 0;
        var aliases = 0;
        var fragmentCount = 0;
        var operationCount = 0;
        var tooManyDirectives = false;
        var inputValues = 0;
        var values = new Stack<GraphQLValue>();

        void CheckDirectives(ASTNode node, GraphQLDirectives? directives, string where)
        {
            if (!tooManyDirectives && directives is { Count: var count } && count > limits.MaxDirectivesPerLocation)
            {
                tooManyDirectives = true;
                errors.Add(new LimitError(document, TooManyDirectives,
                    $"{where} carries {count} directives; at most {limits.MaxDirectivesPerLocation} (Graph:MaxDirectivesPerLocation).", node));
                return;
            }

            foreach (var directive in directives?.Items ?? [])
            {
                CountValues(directive.Arguments);
            }
        }

        void CountValues(GraphQLArguments? arguments)
        {
            foreach (var argument in arguments?.Items ?? [])
            {
                CountValue(argument.Value);
            }
        }

        // Every scalar, list and object written as a value; once beyond the limit, counting stops.
        void CountValue(GraphQLValue? value)
        {
            if (value is null || inputValues > limits.MaxInputValues)
            {
                return;
            }

            values.Push(value);
            while (values.TryPop(out var next))
            {
                if (++inputValues > limits.MaxInputValues)
                {
                    errors.Add(new LimitError(document, TooManyInputValues,
                        $"The document writes more than {limits.MaxInputValues} input values (Graph:MaxInputValues); pass large inputs as variables.", next));
                    values.Clear();
                    return;
                }

                switch (next)
                {
                    case GraphQLListValue list:
                        list.Values?.ForEach(values.Push);
                        break;
                    case GraphQLObjectValue obj:
                        obj.Fields?.ForEach(field => values.Push(field.Value));
                        break;
                }
            }
        }

        var selectionSets = new Stack<GraphQLSelectionSet>();
        foreach (var definition in document.Definitions)
        {
            Root root;
            switch (definition)
            {
                case GraphQLOperationDefinition operation:
                    root = new Root(operation, operation.Name is { } name ? $"The operation '{name.StringValue}'" : "The operation");

                    // Every operation walks the fragments it spreads again, and the rules report each unused variable
                    // with a scan of the text for its position: both multiply with their number, so it is bounded first.
                    if (++operationCount > limits.MaxOperations)
                    {
                        errors.Add(new LimitError(document, TooManyOperations,
                            $"The document defines more than {limits.MaxOperations} operations (Graph:MaxOperations).", operation));
                        return errors;
                    }

                    if ((operation.Variables?.Items.Count ?? 0) is var variableCount && variableCount > limits.MaxVariables)
                    {
                        errors.Add(new LimitError(document, TooManyVariables,
                            $"{root.Description} declares {variableCount} variables; at most {limits.MaxVariables} (Graph:MaxVariables).", operation));
                        return errors;
                    }

                    CheckDirectives(operation, operation.Directives, "An operation");
                    foreach (var variable in operation.Variables?.Items ?? [])
                    {
                        CheckDirectives(variable, variable.Directives, $"The variable ${variable.Variable.Name.StringValue}");
                        CountValue(variable.DefaultValue);
                    }

                    selectionSets.Push(operation.SelectionSet);
                    break;

                case GraphQLFragmentDefinition fragment:
                    root = new Root(fragment, $"The fragment '{fragment.FragmentName.Name.StringValue}'");
                    CheckDirectives(fragment, fragment.Directives, root.Description);
                    if (++fragmentCount > limits.MaxFragments)
                    {
                        errors.Add(new LimitError(document, TooManyFragments,
                            $"The document defines more than {limits.MaxFragments} fragments (Graph:MaxFragments).", fragment));
                        return errors; // nothing below is worth computing for a document refused already
                    }

                    fragments.TryAdd(fragment.FragmentName.Name.Value, roots.Count); // a duplicate name is the core rules' error
                    selectionSets.Push(fragment.SelectionSet);
                    break;

                default:
                    continue; // type system definitions select nothing
            }

            roots.Add(root);
            while (selectionSets.TryPop(out var selectionSet))
            {
                foreach (var selection in selectionSet.Selections)
                {
                    switch (selection)
                    {
                        case GraphQLField field:
                            root.Fields++;
                            if (++fields == limits.MaxFields + 1)
                            {
                                errors.Add(new LimitError(document, TooManyFields,
                                    $"The document selects more than {limits.MaxFields} fields (Graph:MaxFields).", field));
                            }

                            if (field.Alias is not null && ++aliases == limits.MaxAliases + 1)
                            {
                                errors.Add(new LimitError(document, TooManyAliases,
                                    $"The document uses more than {limits.MaxAliases} aliases (Graph:MaxAliases).", field));
                            }

                            CheckDirectives(field, field.Directives, $"The field '{field.Name.StringValue}'");
                            CountValues(field.Arguments);
                            if (field.SelectionSet is { } fieldSelection)
                            {
                                selectionSets.Push(fieldSelection);
                            }

                            break;

                        case GraphQLInlineFragment inline:
                            CheckDirectives(inline, inline.Directives, "An inline fragment");
                            selectionSets.Push(inline.SelectionSet);
                            break;

                        case GraphQLFragmentSpread spread:
                            CheckDirectives(spread, spread.Directives, $"The spread of '{spread.FragmentName.Name.StringValue}'");
                            root.Spreads.Add(spread.FragmentName.Name.Value);
                            break;
                    }
                }
            }
        }

        if (errors.Count == 0)
        {
            CheckSpreads(document, roots, fragments, limits, errors);
        }

        if (errors.Count == 0)
        {
            CheckOverlaps(document, roots, limits, errors);
        }

        return errors.Count > 0 ? errors : null;
    }

    /// <summary>
    /// The depth of spreads and the expanded fields of every root, each fragment computed once (depth first, with an
    /// explicit stack). A spread of a fragment still being expanded (a cycle, which the core rules report) counts one
    /// level and no fields; a spread of an unknown fragment likewise.
    /// </summary>
    private static void CheckSpreads(GraphQLDocument document, List<Root> roots, Dictionary<ROM, int> fragments, GraphQLOptions limits, List<ValidationError> errors)
    {
        var cap = (long)limits.MaxExpandedFields + 1;
        (Root Fragment, List<string> Via)? cycle = null;
        var state = new byte[roots.Count]; // 0 not seen, 1 being expanded, 2 done
        var stack = new Stack<(int Root, int Spread)>();
        for (var start = 0; start < roots.Count; start++)
        {
            if (state[start] != 0)
            {
                continue;
            }

            stack.Push((start, 0));
            state[start] = 1;
            roots[start].Expanded = roots[start].Fields;
            while (stack.TryPop(out var frame))
            {
                var root = roots[frame.Root];
                var next = frame.Spread;
                var descended = false;
                while (next < root.Spreads.Count && !descended)
                {
                    if (!fragments.TryGetValue(root.Spreads[next], out var target) || state[target] == 1)
                    {
                        // Being expanded means being on the path that led here: the spread closes a cycle, through
                        // the fragments the stack holds (the path, nearest first) back to the one it names.
                        if (cycle is null && fragments.ContainsKey(root.Spreads[next]))
                        {
                            var via = new List<string>();
                            if (target != frame.Root)
                            {
                                via.Add(root.Name);
                                via.AddRange(stack.Select(f => f.Root).TakeWhile(r => r != target).Select(r => roots[r].Name));
                                via.Reverse();
                            }

                            cycle = (roots[target], via);
                        }

                        root.Depth = Math.Max(root.Depth, 1);
                        next++;
                    }
                    else if (state[target] == 2)
                    {
                        root.Depth = Math.Max(root.Depth, 1 + roots[target].Depth);
                        root.Expanded = Math.Min(cap, root.Expanded + roots[target].Expanded);
                        next++;
                    }
                    else
                    {
                        // Come back to this spread once the fragment it names is done.
                        stack.Push((frame.Root, next));
                        stack.Push((target, 0));
                        state[target] = 1;
                        roots[target].Expanded = roots[target].Fields;
                        descended = true;
                    }
                }

                if (!descended)
                {
                    state[frame.Root] = 2;
                }
            }
        }

        if (cycle is { } found)
        {
            // The specification's rule (GraphQL.NET's NoFragmentCycles, whose code, number and wording this error keeps)
            // follows the cycle by recursion, and the walk below would follow it forever: refused here, before either.
            var via = found.Via.Count > 0 ? " via " + string.Join(", ", found.Via) : "";
            var error = new ValidationError(document.Source, "5.5.2.2", $"Cannot spread fragment '{found.Fragment.Name}' within itself{via}.", found.Fragment.Definition);
            error.Code = "NO_FRAGMENT_CYCLES";
            errors.Add(error);
            return;
        }

        if (roots.FirstOrDefault(r => r.Depth > limits.MaxFragmentDepth) is { } deep)
        {
            errors.Add(new LimitError(document, FragmentTooDeep,
                $"{deep.Description} nests fragment spreads {deep.Depth} deep; at most {limits.MaxFragmentDepth} (Graph:MaxFragmentDepth).", deep.Definition));
        }

        if (roots.FirstOrDefault(r => r.Expanded > limits.MaxExpandedFields) is { } large)
        {
            errors.Add(new LimitError(document, TooManyExpandedFields,
                $"{large.Description} selects more than {limits.MaxExpandedFields} fields once its fragment spreads are expanded (Graph:MaxExpandedFields).",
                large.Definition));
        }
    }

    /// <summary>
    /// Counts the pairs of fields the overlapping-fields rule compares: fields that share a response name in one
    /// selection, where the selection is a selection set with its inline fragments and spread fragments in place, and,
    /// one level down, the sub-selections of all the fields of one response name taken together (the specification's
    /// FieldsInSetCanMerge merges them so). GraphQL.NET's rule compares each such pair, printing the arguments of both
    /// fields to compare them, so a few hundred fields named alike cost seconds. Each fragment counts once per
    /// selection, as the rule compares it once; runs only on a document without cycles and within the expansion limit,
    /// so the walk is finite and bounded.
    /// </summary>
    private static void CheckOverlaps(GraphQLDocument document, List<Root> roots, GraphQLOptions limits, List<ValidationError> errors)
    {
        var definitions = new Dictionary<ROM, GraphQLFragmentDefinition>();
        foreach (var definition in document.Definitions.OfType<GraphQLFragmentDefinition>())
        {
            definitions.TryAdd(definition.FragmentName.Name.Value, definition);
        }

        var pairs = 0L;
        var selections = new Stack<List<GraphQLSelectionSet>>();
        var scan = new Stack<GraphQLSelectionSet>();
        foreach (var root in roots)
        {
            selections.Push([root.Definition is GraphQLOperationDefinition operation ? operation.SelectionSet : ((GraphQLFragmentDefinition)root.Definition).SelectionSet]);
            while (selections.TryPop(out var merged))
            {
                var byName = new Dictionary<ROM, (int Count, List<GraphQLSelectionSet>? Subselections)>();
                var spread = new HashSet<ROM>();
                merged.ForEach(scan.Push);
                while (scan.TryPop(out var selectionSet))
                {
                    foreach (var selection in selectionSet.Selections)
                    {
                        switch (selection)
                        {
                            case GraphQLField field:
                                var name = (field.Alias?.Name ?? field.Name).Value;
                                var (count, subselections) = byName.GetValueOrDefault(name);
                                pairs += count;
                                if (field.SelectionSet is { } subselection)
                                {
                                    (subselections ??= []).Add(subselection);
                                }

                                byName[name] = (count + 1, subselections);
                                break;

                            case GraphQLInlineFragment inline:
                                scan.Push(inline.SelectionSet);
                                break;

                            case GraphQLFragmentSpread fragmentSpread when spread.Add(fragmentSpread.FragmentName.Name.Value)
                                && definitions.TryGetValue(fragmentSpread.FragmentName.Name.Value, out var fragment):
                                scan.Push(fragment.SelectionSet);
                                break;
                        }
                    }
                }

                if (pairs > limits.MaxOverlappingFieldPairs)
                {
                    errors.Add(new LimitError(document, TooManyOverlappingFields,
                        $"{root.Description} selects more than {limits.MaxOverlappingFieldPairs} pairs of fields under one response name (named or aliased alike, "
                        + "in one selection set or merged into it by fragments); validation compares each pair (Graph:MaxOverlappingFieldPairs). "
                        + "Select such a field once, or give the others aliases of their own.", root.Definition));
                    return;
                }

                foreach (var (_, (_, subselections)) in byName)
                {
                    if (subselections is not null)
                    {
                        selections.Push(subselections);
                    }
                }
            }
        }
    }

    /// <summary>An operation or a fragment definition: what its own text holds, then what its spreads add.</summary>
    private sealed class Root(ASTNode definition, string description)
    {
        public ASTNode Definition { get; } = definition;

        public string Description { get; } = description;

        /// <summary>A fragment's name (an operation's root is never named in a cycle).</summary>
        public string Name => Definition is GraphQLFragmentDefinition fragment ? fragment.FragmentName.Name.StringValue : "";

        /// <summary>Fields in the definition's own text, at every level.</summary>
        public int Fields { get; set; }

        /// <summary>The fragment names it spreads, once per spread.</summary>
        public List<ROM> Spreads { get; } = [];

        /// <summary>The longest chain of spreads starting here.</summary>
        public int Depth { get; set; }

        /// <summary>Fields with every spread expanded, at most the limit plus one.</summary>
        public long Expanded { get; set; }
    }
}
