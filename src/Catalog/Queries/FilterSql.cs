using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Portal.Catalog.Model;

namespace Portal.Catalog.Queries;

/// <summary>
/// Translates filters into SQL over <c>catalog.entities e</c>. Keys and values compare lower-cased, as Backstage's.
/// Well-known keys use their own indexed columns; any other dot path uses the GIN-indexed <c>facts</c> document;
/// <c>relations.&lt;type&gt;</c> uses the relations table.
/// </summary>
internal sealed class FilterSql
{
    private static readonly Dictionary<string, string> RelationTypeByLowerName =
        RelationTypes.Reverse.Keys.ToDictionary(k => k.ToLowerInvariant(), k => k, StringComparer.Ordinal);

    private readonly List<NpgsqlParameter> _parameters;

    public FilterSql(List<NpgsqlParameter> parameters) => _parameters = parameters;

    /// <summary>The filter's SQL; held to the limits first (<see cref="QueryBounds"/>), so the recursive walk below is bounded.</summary>
    public string Translate(EntityFilter? filter)
    {
        QueryBounds.CheckFilter(filter);
        return filter is null ? "TRUE" : Node(filter);
    }

    public string FullText(FullTextFilter? fullText)
    {
        if (fullText is null || string.IsNullOrWhiteSpace(fullText.Term))
        {
            return "TRUE";
        }

        QueryBounds.CheckFullText(fullText);
        RequireText(fullText.Term, () => "The search term");

        var pattern = "%" + EscapeLike(fullText.Term.Trim().ToLowerInvariant()) + "%";
        var parameter = Add(pattern, NpgsqlDbType.Text);
        var fields = fullText.Fields is { Count: > 0 } named ? named.Select(f => f.ToLowerInvariant()).ToList() : null;
        if (fields is null)
        {
            // The trigram-indexed column holds exactly the default fields: name, title, description and tags.
            return $"e.search_text LIKE {parameter}";
        }

        var anyNamedField = "(" + string.Join(" OR ", fields.Select(field =>
            $"lower(coalesce({PathText(field)}, '')) LIKE {parameter}")) + ")";

        // Named fields that are all among the default ones: the indexed column narrows the rows, and the named fields
        // alone decide (a term found only in the description must not match a search of the name).
        return fields.All(f => f is "metadata.name" or "metadata.title" or "metadata.description" or "metadata.tags")
            ? $"(e.search_text LIKE {parameter} AND {anyNamedField})"
            : anyNamedField;
    }

    /// <summary>The SQL text of a dot path into the document, for ordering and search.</summary>
    public string PathText(string field) => RequireText(field, () => $"The field {Describe(field)}").ToLowerInvariant() switch
    {
        "kind" => "e.kind",
        "metadata.name" => "e.name",
        "metadata.namespace" => "e.namespace",
        "metadata.title" => "e.title",
        "metadata.description" => "e.description",
        "metadata.uid" => "e.id::text",
        "spec.type" => "e.type",
        "spec.lifecycle" => "e.lifecycle",
        "spec.owner" => "e.document #>> '{spec,owner}'",
        _ => $"(e.document #>> {Add(SplitPath(field).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)})",
    };

    /// <summary>Splits a dot path; annotation and label keys keep their dots (<c>metadata.annotations.backstage.io/x</c>).</summary>
    public static IReadOnlyList<string> SplitPath(string field)
    {
        foreach (var prefix in new[] { "metadata.annotations.", "metadata.labels." })
        {
            if (field.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && field.Length > prefix.Length)
            {
                return [.. prefix.TrimEnd('.').Split('.'), field[prefix.Length..]];
            }
        }

        return field.Split('.');
    }

    private string Node(EntityFilter filter) => filter switch
    {
        AllOf all => all.Filters.Count == 0 ? "TRUE" : "(" + string.Join(" AND ", all.Filters.Select(Node)) + ")",
        AnyOf any => any.Filters.Count == 0 ? "FALSE" : "(" + string.Join(" OR ", any.Filters.Select(Node)) + ")",
        Negation negation => "NOT " + Node(negation.Filter),
        Condition condition => Condition(condition),
        _ => throw new InvalidQueryException($"Unsupported filter {filter.GetType().Name}."),
    };

    private string Condition(Condition condition)
    {
        var key = RequireText(condition.Key, () => $"The filter key {Describe(condition.Key)}").Trim().ToLowerInvariant();
        if (key.Length == 0)
        {
            throw new InvalidQueryException("A filter condition has an empty key.");
        }

        var values = condition.Values?.Select(v => RequireText(v, () => $"A value of the filter key {Describe(key)}").Trim().ToLowerInvariant()).ToArray();
        if (key.StartsWith("relations.", StringComparison.Ordinal))
        {
            var relationType = key["relations.".Length..];
            var type = RelationTypeByLowerName.GetValueOrDefault(relationType, relationType);
            if (type == RelationTypes.OwnedBy && values is not null)
            {
                // An entity's ownedBy edge is emitted from its own spec.owner and nowhere else, and the owner_ref column
                // holds that edge's target: the indexed column answers "owned by X" without the relations join.
                return $"e.owner_ref {In(values)}";
            }

            var typeParameter = Add(type, NpgsqlDbType.Text);
            return values is null
                ? $"EXISTS (SELECT 1 FROM catalog.relations r WHERE r.source_ref = e.ref AND r.type = {typeParameter})"
                : $"e.ref IN (SELECT r.source_ref FROM catalog.relations r WHERE r.type = {typeParameter} AND r.target_ref {In(values)})";
        }

        switch (key)
        {
            case "kind" when values is not null:
                return $"e.kind {In(values)}";
            case "metadata.namespace" when values is not null:
                return $"e.namespace {In(values)}";
            case "kind" or "metadata.namespace" or "metadata.name" when values is null:
                return "TRUE";
            case "metadata.uid" when values is not null:
                var ids = values.Select(v => Guid.TryParse(v, out var id) ? id : Guid.Empty).ToArray();
                return $"e.id = ANY({Add(ids, NpgsqlDbType.Array | NpgsqlDbType.Uuid)})";
        }

        if (values is null)
        {
            return $"e.facts ? {Add(key, NpgsqlDbType.Text)}";
        }

        if (values.Length == 0)
        {
            return "FALSE";
        }

        // One containment per value: each is answered by the GIN index, and the planner ORs the bitmaps. A parameter per
        // value stays far below PostgreSQL's 65,535 per statement: a filter holds at most CatalogLimits.MaxFilterValues.
        if (key == "spec.owner")
        {
            // The team page's filter. spec_owner is the facts' one spec.owner value where they hold exactly one (every
            // built-in kind), read by B-tree; the rest that hold spec.owner (a custom kind's list of owners, or null) are
            // marked owner_irregular and found by a facts index of their own (ix_entities_owner_irregular, partial on
            // that column). The same rows as the containment alone, without the facts index. "IS NOT NULL" keeps the
            // condition two-valued, as the containment is: NULL = x is NULL, and NOT NULL would drop an ownerless
            // entity from a negation.
            return $"((e.spec_owner IS NOT NULL AND e.spec_owner {In(values)}) OR (e.owner_irregular AND {Contains("e.facts", key, values)}))";
        }

        return Contains("e.facts", key, values);
    }

    private string Contains(string facts, string key, string[] values) => "(" + string.Join(" OR ", values.Select(value =>
        $"{facts} @> {Add(JsonSerializer.Serialize(new Dictionary<string, string[]> { [key] = [value] }), NpgsqlDbType.Jsonb)}")) + ")";

    /// <summary>
    /// <c>= $n</c> for one value, <c>= ANY($n)</c> for several. Prepared statements get generic plans, and the planner
    /// estimates a plain equality far better than an array it cannot see.
    /// </summary>
    private string In(string[] values) => values.Length == 1
        ? $"= {Add(values[0], NpgsqlDbType.Text)}"
        : $"= ANY({Add(values, NpgsqlDbType.Array | NpgsqlDbType.Text)})";

    private string Add(object value, NpgsqlDbType type) => AddPositional(_parameters, value, type);

    /// <summary>
    /// Appends a parameter and returns its placeholder, <c>$n</c>. Positional placeholders spare Npgsql rewriting the
    /// SQL text on every execution, which it must do for named ones; every query built with this list uses them.
    /// </summary>
    public static string AddPositional(List<NpgsqlParameter> parameters, object value, NpgsqlDbType type)
    {
        parameters.Add(new NpgsqlParameter { NpgsqlDbType = type, Value = value });
        return "$" + parameters.Count;
    }

    /// <summary>
    /// Refuses text PostgreSQL cannot hold (U+0000, or half of a surrogate pair): it can match nothing, and sent to the
    /// server it would fail as an encoding error instead of as bad input. <paramref name="what"/> describes the text,
    /// and is called only for the error: most text is fine, and quoting it costs.
    /// </summary>
    public static string RequireText(string text, Func<string> what) => IsStorable(text)
        ? text
        : throw new InvalidQueryException($"{what()} contains a character the catalog cannot match ({StorableText.Rule}).");

    public static bool IsStorable(string text) => StorableText.IsStorable(text);

    /// <summary>A key or field, quoted and shortened for an error message, without its unprintable characters.</summary>
    internal static string Describe(string text)
    {
        var printable = new string(text.Take(80).Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c).ToArray());
        return $"'{printable}{(text.Length > 80 ? "…" : "")}'";
    }

    private static string EscapeLike(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '%' or '_' or '\\')
            {
                escaped.Append('\\');
            }

            escaped.Append(c);
        }

        return escaped.ToString();
    }
}
