using GraphQL.Types;
using Portal.Catalog;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>
/// One filter of <c>entities(filter: [EntityFilterInput!])</c>: every condition set in it must hold (AND); a list of
/// filters matches an entity when any of them does (OR), as Backstage's filter sets do.
/// </summary>
public sealed class EntityFilterInput
{
    public IReadOnlyList<string>? Kind { get; set; }

    public IReadOnlyList<string>? Namespace { get; set; }

    public IReadOnlyList<string>? Type { get; set; }

    public IReadOnlyList<string>? Lifecycle { get; set; }

    public IReadOnlyList<string>? Owner { get; set; }

    public IReadOnlyList<string>? System { get; set; }

    public IReadOnlyList<string>? Tags { get; set; }

    public IReadOnlyList<FieldConditionInput>? Fields { get; set; }

    public IReadOnlyList<RelationConditionInput>? Relations { get; set; }

    public EntityFilterInput? Not { get; set; }
}

/// <summary>A dot path (<c>spec.profile.email</c>, <c>metadata.annotations.backstage.io/techdocs-ref</c>) and what it must hold.</summary>
public sealed class FieldConditionInput
{
    public string Path { get; set; } = "";

    /// <summary>Any of these values, compared case-insensitively; null or empty: the path must exist.</summary>
    public IReadOnlyList<string>? Values { get; set; }
}

/// <summary>A relation of <see cref="Type"/> to any of the targets.</summary>
public sealed class RelationConditionInput
{
    public string Type { get; set; } = "";

    public IReadOnlyList<string> Targets { get; set; } = [];
}

public sealed class EntityFilterInputType : InputObjectGraphType<EntityFilterInput>
{
    public EntityFilterInputType()
    {
        Name = "EntityFilterInput";
        Description = "Conditions that must all hold (AND). A list of filters matches when any filter does (OR). Values compare case-insensitively; a list on one field means any of its values.";
        Field(f => f.Kind, type: typeof(ListGraphType<NonNullGraphType<StringGraphType>>)).Description("Kinds, e.g. [\"Component\", \"API\"].");
        Field(f => f.Namespace, type: typeof(ListGraphType<NonNullGraphType<StringGraphType>>));
        Field(f => f.Type, type: typeof(ListGraphType<NonNullGraphType<StringGraphType>>)).Description("spec.type values.");
        Field(f => f.Lifecycle, type: typeof(ListGraphType<NonNullGraphType<StringGraphType>>)).Description("spec.lifecycle values.");
        Field(f => f.Owner, type: typeof(ListGraphType<NonNullGraphType<StringGraphType>>)).Description("Owner references; the kind defaults to Group and the namespace to default (\"team-a\" is group:default/team-a).");
        Field(f => f.System, type: typeof(ListGraphType<NonNullGraphType<StringGraphType>>)).Description("System references; the kind defaults to System.");
        Field(f => f.Tags, type: typeof(ListGraphType<NonNullGraphType<StringGraphType>>)).Description("Entities carrying any of these tags.");
        Field(f => f.Fields, type: typeof(ListGraphType<NonNullGraphType<FieldConditionInputType>>)).Description("Conditions on arbitrary dot paths into the descriptor.");
        Field(f => f.Relations, type: typeof(ListGraphType<NonNullGraphType<RelationConditionInputType>>)).Description("Relations the entity must have.");
        Field(f => f.Not, type: typeof(EntityFilterInputType)).Description("Entities this filter does not match.");
    }

    /// <summary>The catalog filter for a list of GraphQL filters: OR across the list, AND inside each one.</summary>
    public static EntityFilter? ToCatalogFilter(IReadOnlyList<EntityFilterInput>? filters)
    {
        var count = new ValueCount();
        return filters switch
        {
            null or [] => null,
            [var only] => ToCatalogFilter(only, depth: 0, count),
            _ => new AnyOf(filters.Select(f => ToCatalogFilter(f, depth: 0, count)).ToList()),
        };
    }

    private static EntityFilter ToCatalogFilter(EntityFilterInput input, int depth, ValueCount count)
    {
        // Each level of not here is two in the catalog's filter (an all-of holding a negation).
        if (depth > CatalogLimits.MaxFilterDepth / 2)
        {
            throw new InvalidQueryException($"filter.not is nested deeper than {CatalogLimits.MaxFilterDepth / 2} levels");
        }

        var conditions = new List<EntityFilter>();
        AddValues(conditions, "kind", input.Kind, "filter.kind", count);
        AddValues(conditions, "metadata.namespace", input.Namespace, "filter.namespace", count);
        AddValues(conditions, "spec.type", input.Type, "filter.type", count);
        AddValues(conditions, "spec.lifecycle", input.Lifecycle, "filter.lifecycle", count);
        Add(conditions, input.Owner, "filter.owner", count, owners => EntityFilter.OwnedBy(owners, "filter.owner"));
        Add(conditions, input.System, "filter.system", count, systems => EntityFilter.PartOfSystem(systems, "filter.system"));
        AddValues(conditions, "metadata.tags", input.Tags, "filter.tags", count);
        foreach (var (field, index) in (input.Fields ?? []).Select((f, i) => (f, i)))
        {
            var where = $"filter.fields[{index}]";
            if (string.IsNullOrWhiteSpace(field.Path))
            {
                throw new InvalidQueryException($"{where}.path must not be empty");
            }

            CheckPath(field.Path, where + ".path");
            count.Add(field.Values?.Count ?? 0, where + ".values");
            conditions.Add(field.Values is { Count: > 0 } values ? EntityFilter.Equal(field.Path, [.. values]) : EntityFilter.Exists(field.Path));
        }

        foreach (var (relation, index) in (input.Relations ?? []).Select((r, i) => (r, i)))
        {
            var where = $"filter.relations[{index}]";
            if (string.IsNullOrWhiteSpace(relation.Type))
            {
                throw new InvalidQueryException($"{where}.type must not be empty");
            }

            CheckPath("relations." + relation.Type, where + ".type");

            // Counted before the targets are parsed as refs.
            count.Add(relation.Targets?.Count ?? 0, where + ".targets");
            Add(conditions, Refs(relation.Targets, where + ".targets"), where + ".targets", counted: null,
                targets => EntityFilter.Equal("relations." + relation.Type, [.. targets]));
        }

        if (input.Not is not null)
        {
            conditions.Add(new Negation(ToCatalogFilter(input.Not, depth + 1, count)));
        }

        return conditions.Count == 1 ? conditions[0] : new AllOf(conditions);
    }

    private static void AddValues(List<EntityFilter> conditions, string key, IReadOnlyList<string>? values, string where, ValueCount count) =>
        Add(conditions, values, where, count, given => EntityFilter.Equal(key, [.. given]));

    /// <summary>A condition the catalog builds from the values (an owner's default kind, say), when the values are given.</summary>
    private static void Add(
        List<EntityFilter> conditions, IReadOnlyList<string>? values, string where, ValueCount? counted, Func<IReadOnlyList<string>, EntityFilter> condition)
    {
        if (values is null)
        {
            return;
        }

        if (values.Count == 0)
        {
            throw new InvalidQueryException($"{where} is an empty list: leave it out to match any value");
        }

        // Counted before the values are parsed or copied; null when the caller counted them already.
        counted?.Add(values.Count, where);
        conditions.Add(condition(values));
    }

    private static void CheckPath(string path, string where)
    {
        if (path.Length > CatalogLimits.MaxFieldPathLength)
        {
            throw new InvalidQueryException($"{where} is {path.Length} characters long; at most {CatalogLimits.MaxFieldPathLength}");
        }
    }

    /// <summary>The values of a whole filter list, which count against one limit however they are spread.</summary>
    private sealed class ValueCount
    {
        private int _values;

        public void Add(int count, string where)
        {
            _values += count;
            if (_values > CatalogLimits.MaxFilterValues)
            {
                throw new InvalidQueryException(
                    $"{where} brings the filter to more than {CatalogLimits.MaxFilterValues} values in all (every list of every filter counts)");
            }
        }
    }

    /// <summary>Full references (no default kind), in canonical form.</summary>
    private static List<string>? Refs(IReadOnlyList<string>? values, string where) =>
        values?.Select(value => EntityRef.TryParseRequested(value, null, out var parsed, out var error)
            ? parsed.Canonical
            : throw new InvalidQueryException($"{where}: {error}")).ToList();
}

public sealed class FieldConditionInputType : InputObjectGraphType<FieldConditionInput>
{
    public FieldConditionInputType()
    {
        Name = "FieldConditionInput";
        Field(f => f.Path).Description("A dot path into the descriptor, e.g. spec.profile.email or metadata.annotations.github.com/project-slug.");
        Field(f => f.Values, type: typeof(ListGraphType<NonNullGraphType<StringGraphType>>)).Description("Any of these values (case-insensitive); leave out to require that the path exists.");
    }
}

public sealed class RelationConditionInputType : InputObjectGraphType<RelationConditionInput>
{
    public RelationConditionInputType()
    {
        Name = "RelationConditionInput";
        Field(f => f.Type).Description("A relation type, e.g. ownedBy, dependsOn, partOf.");
        Field(f => f.Targets, type: typeof(NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>)).Description("Full entity references (kind:namespace/name) of the targets; any of them.");
    }
}
