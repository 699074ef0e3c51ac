using System.Text.Json;
using Portal.Catalog;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Backstage.Catalog;

/// <summary>
/// Reads Backstage's filter predicates, the <c>query</c> of <c>POST /entities/by-query</c> and <c>POST /entity-facets</c>:
/// an object whose keys are dot paths that must all match (<c>{"kind": "component", "spec.type": {"$in": ["service"]}}</c>),
/// or one logical operator (<c>$all</c>, <c>$any</c>, <c>$not</c>). Values are primitives (compared case-insensitively,
/// numbers as their text) or one matcher: <c>$exists</c>, <c>$in</c>, <c>$contains</c>.
/// </summary>
internal sealed class PredicateParser
{
    // Below the catalog's own bound (a multi-key object here becomes an all-of there, and the request's any-of and
    // search wrap the whole), so a predicate accepted here is never refused by the catalog after a round trip.
    private const int MaxDepth = CatalogLimits.MaxFilterDepth - 4;
    private int _conditions;
    private int _values;

    private PredicateParser()
    {
    }

    /// <summary>The predicate at <paramref name="where"/> (for messages) as a catalog filter.</summary>
    public static EntityFilter Parse(JsonElement predicate, string where) => new PredicateParser().Node(predicate, where, 0);

    private EntityFilter Node(JsonElement predicate, string where, int depth)
    {
        if (depth > MaxDepth)
        {
            throw BackstageApiException.Input($"Invalid {where}: predicates nest deeper than {MaxDepth} levels.");
        }

        if (predicate.ValueKind != JsonValueKind.Object)
        {
            throw BackstageApiException.Input($"Invalid {where}: a predicate must be an object, not {Describe(predicate)}.");
        }

        var properties = predicate.EnumerateObject().ToList();
        var operators = properties.Where(p => p.Name.StartsWith('$')).ToList();
        if (operators.Count > 0)
        {
            if (properties.Count > 1)
            {
                throw BackstageApiException.Input(
                    $"Invalid {where}: a logical operator ({operators[0].Name}) must be the only key of its object; wrap the other keys in $all.");
            }

            var (name, value) = (operators[0].Name, operators[0].Value);
            return name switch
            {
                "$all" => new AllOf(List(value, $"{where}.$all", depth)),
                "$any" => new AnyOf(List(value, $"{where}.$any", depth)),
                "$not" => new Negation(Node(value, $"{where}.$not", depth + 1)),
                _ => throw BackstageApiException.Input($"Invalid {where}: unknown operator {name}; use $all, $any or $not."),
            };
        }

        var conditions = properties.Select(p => Condition(
            CatalogRequestParser.Path(p.Name, $"{where} key '{p.Name}'"), p.Value, $"{where}.{p.Name}")).ToList();
        return conditions.Count == 1 ? conditions[0] : new AllOf(conditions);
    }

    private List<EntityFilter> List(JsonElement value, string where, int depth)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw BackstageApiException.Input($"Invalid {where}: expected an array of predicates, not {Describe(value)}.");
        }

        return value.EnumerateArray().Select((item, i) => Node(item, $"{where}[{i}]", depth + 1)).ToList();
    }

    private EntityFilter Condition(string key, JsonElement value, string where)
    {
        if (++_conditions > CatalogLimits.MaxFilterConditions)
        {
            throw BackstageApiException.Input($"Invalid query: more than {CatalogLimits.MaxFilterConditions} conditions.");
        }

        if (Primitive(value, where, required: false) is { } text)
        {
            CountValues(1, where);
            return EntityFilter.Equal(key, text);
        }

        var matchers = value.ValueKind == JsonValueKind.Object ? value.EnumerateObject().ToList() : [];
        if (matchers is not [{ } matcher] || !matcher.Name.StartsWith('$'))
        {
            throw BackstageApiException.Input(
                $"Invalid {where}: expected a string, number or boolean, or one matcher ($exists, $in, $contains), not {Describe(value)}.");
        }

        var at = $"{where}.{matcher.Name}";
        switch (matcher.Name)
        {
            case "$exists" when matcher.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                return matcher.Value.GetBoolean() ? EntityFilter.Exists(key) : new Negation(EntityFilter.Exists(key));
            case "$exists":
                throw BackstageApiException.Input($"Invalid {at}: expected true or false.");
            case "$in":
                // An empty $in matches nothing, as an empty $any does.
                return EntityFilter.Equal(key, [.. Primitives(matcher.Value, at)]);
            case "$contains" when key.Equals("relations", StringComparison.OrdinalIgnoreCase):
                return Relation(matcher.Value, at);
            case "$contains":
                // Array items match as values of their array's path (metadata.tags=java), as in the GET filter.
                CountValues(1, at);
                return EntityFilter.Equal(key, Primitive(matcher.Value, at, required: true)!);
            case "$hasPrefix" or "$startsWith":
                throw BackstageApiException.Input($"Invalid {at}: prefix matching is not supported by this catalog; use $in or fullTextFilter.");
            default:
                throw BackstageApiException.Input($"Invalid {where}: unknown matcher {matcher.Name}; use $exists, $in or $contains.");
        }
    }

    /// <summary><c>{"relations": {"$contains": {"type": "ownedBy", "targetRef": "group:default/a" | {"$in": [...]}}}}</c>.</summary>
    private EntityFilter Relation(JsonElement value, string where)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
            || string.IsNullOrWhiteSpace(type.GetString()))
        {
            throw BackstageApiException.Input($"Invalid {where}: expected {{\"type\": \"<relation type>\", \"targetRef\": \"<entity ref>\"}}.");
        }

        var key = CatalogRequestParser.Path("relations." + type.GetString()!.Trim(), $"{where}.type");
        if (!value.TryGetProperty("targetRef", out var target))
        {
            return EntityFilter.Exists(key);
        }

        if (Primitive(target, $"{where}.targetRef", required: false) is { } single)
        {
            CountValues(1, $"{where}.targetRef");
            return EntityFilter.Equal(key, single);
        }

        if (target.ValueKind == JsonValueKind.Object && target.TryGetProperty("$in", out var targets))
        {
            return EntityFilter.Equal(key, [.. Primitives(targets, $"{where}.targetRef.$in")]);
        }

        throw BackstageApiException.Input($"Invalid {where}.targetRef: expected an entity ref or {{\"$in\": [...]}}.");
    }

    private List<string> Primitives(JsonElement value, string where)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw BackstageApiException.Input($"Invalid {where}: expected an array of strings, numbers or booleans.");
        }

        // Counted before the items are read: a list past the limit costs no more than its length.
        CountValues(value.GetArrayLength(), where);
        return value.EnumerateArray().Select((item, i) => Primitive(item, $"{where}[{i}]", required: true)!).ToList();
    }

    /// <summary>Every value of the whole query counts against one limit, as the catalog counts them.</summary>
    private void CountValues(int count, string where)
    {
        _values += count;
        if (_values > CatalogLimits.MaxFilterValues)
        {
            throw BackstageApiException.Input(
                $"Invalid {where}: the query compares with more than {CatalogLimits.MaxFilterValues} values in all ($in lists included).");
        }
    }

    /// <summary>A string, number or boolean as the text it is compared by; null for anything else unless required.</summary>
    private static string? Primitive(JsonElement value, string where, bool required)
    {
        var text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ when required => throw BackstageApiException.Input($"Invalid {where}: expected a string, number or boolean, not {Describe(value)}."),
            _ => null,
        };
        return text is null ? null : CatalogRequestParser.Value(text, where);
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
