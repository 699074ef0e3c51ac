using System.Globalization;
using Microsoft.Extensions.Primitives;
using Portal.Catalog;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Backstage.Catalog;

/// <summary>
/// Reads the query-string forms of Backstage's catalog API: the <c>filter</c> grammar (<c>filter=kind=component,spec.type</c>:
/// conditions inside one parameter all hold, repeated parameters are alternatives, a key alone means "exists"),
/// <c>fields</c>, <c>orderField</c>, paging and full-text parameters, and entity references. Everything is checked here,
/// before any service is called, so a request rejected for its shape never costs a database round trip.
/// </summary>
internal static class CatalogRequestParser
{
    public const int MaxFields = 100;
    public const int MaxFacets = CatalogLimits.MaxFacetFields;

    /// <summary>Backstage's default page size for <c>/entities/by-query</c>.</summary>
    public const int DefaultLimit = 20;

    /// <summary>A query for <c>GET /entities/by-query</c>, and the projection of its items.</summary>
    public static (EntityQuery Query, FieldSelection Fields) ByQuery(IQueryCollection parameters)
    {
        var fields = Fields(parameters["fields"]);
        var limit = Integer(parameters, "limit") ?? DefaultLimit;
        var offset = Integer(parameters, "offset") ?? 0;

        // As Backstage: with a cursor, filter, order and full-text search come from the cursor and are ignored here.
        var cursor = Single(parameters, "cursor");
        if (!string.IsNullOrEmpty(cursor))
        {
            return (new EntityQuery { Cursor = cursor, Limit = limit }, fields);
        }

        return (new EntityQuery
        {
            Filter = Filter(parameters["filter"]),
            Order = OrderFields(parameters["orderField"]),
            FullText = FullText(Single(parameters, "fullTextFilterTerm"), parameters["fullTextFilterFields"]),
            Limit = limit,
            Offset = offset,
        }, fields);
    }

    /// <summary>
    /// The <c>filter</c> parameters: any of the parameters (OR), each a comma-separated list of <c>key</c> or
    /// <c>key=value</c> conditions that must all hold (AND). One key given several values in a parameter matches any of them.
    /// </summary>
    public static EntityFilter? Filter(StringValues parameters)
    {
        var sets = new List<EntityFilter>();
        var conditions = 0;
        foreach (var parameter in parameters)
        {
            var keys = new List<string>();
            var valuesByKey = new Dictionary<string, List<string>?>(StringComparer.OrdinalIgnoreCase);
            foreach (var part in (parameter ?? "").Split(','))
            {
                var statement = part.Trim();
                if (statement.Length == 0)
                {
                    continue;
                }

                if (++conditions > CatalogLimits.MaxFilterConditions)
                {
                    throw BackstageApiException.Input($"Invalid filter, more than {CatalogLimits.MaxFilterConditions} conditions in one request.");
                }

                var equals = statement.IndexOf('=', StringComparison.Ordinal);
                var key = (equals < 0 ? statement : statement[..equals]).Trim();
                if (key.Length == 0)
                {
                    throw BackstageApiException.Input(
                        $"Invalid filter, '{statement}' is not a valid statement (expected a string on the form a=b or a= or a).");
                }

                key = Path(key, $"filter key in '{statement}'");
                if (!valuesByKey.TryGetValue(key, out var values))
                {
                    keys.Add(key);
                    valuesByKey[key] = values = equals < 0 ? null : [];
                }

                if (equals >= 0)
                {
                    var value = Value(statement[(equals + 1)..].Trim(), $"filter value in '{statement}'");
                    // A value implies that the key exists, so a key-only condition on the same key adds nothing.
                    (values ?? (valuesByKey[key] = [])).Add(value);
                }
            }

            var set = keys.Select(key => valuesByKey[key] is { } values
                ? EntityFilter.Equal(key, [.. values])
                : EntityFilter.Exists(key)).ToList();
            if (set.Count > 0)
            {
                sets.Add(set.Count == 1 ? set[0] : new AllOf(set));
            }
        }

        return sets.Count switch
        {
            0 => null,
            1 => sets[0],
            _ => new AnyOf(sets),
        };
    }

    /// <summary>The <c>fields</c> projection; comma-separated, the parameter may repeat.</summary>
    public static FieldSelection Fields(IEnumerable<string?> parameters)
    {
        var paths = new List<string>();
        foreach (var field in parameters.SelectMany(p => (p ?? "").Split(',')).Select(f => f.Trim()).Where(f => f.Length > 0))
        {
            if (field.Contains('[', StringComparison.Ordinal))
            {
                throw BackstageApiException.Input($"Invalid fields, '{field}': array type fields are not supported.");
            }

            if (paths.Count == MaxFields)
            {
                throw BackstageApiException.Input($"Invalid fields, more than {MaxFields} fields.");
            }

            paths.Add(Path(field, "fields"));
        }

        return FieldSelection.From(paths) ?? FieldSelection.All;
    }

    /// <summary>The <c>orderField</c> parameters, each <c>&lt;field&gt;</c> or <c>&lt;field&gt;,asc|desc</c>.</summary>
    public static IReadOnlyList<EntityOrder> OrderFields(IEnumerable<string?> parameters)
    {
        var order = new List<EntityOrder>();
        foreach (var text in parameters)
        {
            var parts = (text ?? "").Split(',');
            if (parts.Length > 2)
            {
                throw BackstageApiException.Input($"Invalid orderField '{text}', expected <field>,asc or <field>,desc.");
            }

            order.Add(Order(parts[0], parts.Length == 2 ? parts[1] : null, $"orderField '{text}'"));
        }

        return CheckOrderCount(order);
    }

    /// <summary>One ordering: a field and <c>asc</c>, <c>desc</c> or nothing (ascending).</summary>
    public static EntityOrder Order(string field, string? direction, string where)
    {
        if (direction is not (null or "asc" or "desc"))
        {
            throw BackstageApiException.Input($"Invalid order field order in {where}, must be asc or desc.");
        }

        return new EntityOrder(Path(field.Trim(), where), Descending: direction == "desc");
    }

    public static IReadOnlyList<EntityOrder> CheckOrderCount(List<EntityOrder> order) => order.Count > CatalogLimits.MaxOrderFields
        ? throw BackstageApiException.Input($"Invalid orderField, more than {CatalogLimits.MaxOrderFields} fields.")
        : order;

    /// <summary>A case-insensitive substring search; an empty term searches nothing.</summary>
    public static FullTextFilter? FullText(string? term, IEnumerable<string?> fieldParameters)
    {
        var fields = fieldParameters.SelectMany(p => (p ?? "").Split(',')).Select(f => f.Trim()).Where(f => f.Length > 0)
            .Select(f => Path(f, "fullTextFilterFields")).ToList();
        if (fields.Count > CatalogLimits.MaxSearchFields)
        {
            throw BackstageApiException.Input($"Invalid fullTextFilterFields, more than {CatalogLimits.MaxSearchFields} fields.");
        }

        if (string.IsNullOrWhiteSpace(term))
        {
            return null;
        }

        if (term.Length > CatalogLimits.MaxSearchLength)
        {
            throw BackstageApiException.Input($"Invalid fullTextFilterTerm, longer than {CatalogLimits.MaxSearchLength} characters.");
        }

        return new FullTextFilter(term, fields.Count > 0 ? fields : null);
    }

    /// <summary>The <c>facet</c> parameters of <c>/entity-facets</c>: at least one, distinct.</summary>
    public static IReadOnlyList<string> Facets(IEnumerable<string?> parameters)
    {
        var facets = parameters.Select(f => Path((f ?? "").Trim(), "facet")).Distinct(StringComparer.Ordinal).ToList();
        return facets.Count switch
        {
            0 => throw BackstageApiException.Input("Missing facet parameter: name at least one, e.g. ?facet=kind."),
            > MaxFacets => throw BackstageApiException.Input($"Invalid facet, at most {MaxFacets} facets per request."),
            _ => facets,
        };
    }

    /// <summary>A non-negative integer written exactly (<c>10</c>, not <c>10.0</c>, <c>+10</c> or <c>ten</c>), or null when absent.</summary>
    public static int? Integer(IQueryCollection parameters, string name)
    {
        var text = Single(parameters, name);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            || value.ToString(CultureInfo.InvariantCulture) != text)
        {
            throw BackstageApiException.Input($"Invalid {name}, '{text}' is not an integer.");
        }

        return value >= 0 ? value : throw BackstageApiException.Input($"Invalid {name}, must be zero or greater.");
    }

    /// <summary>A parameter that may appear at most once.</summary>
    public static string? Single(IQueryCollection parameters, string name)
    {
        var values = parameters[name];
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw BackstageApiException.Input($"Invalid {name}, given {values.Count} times; give it once."),
        };
    }

    /// <summary>
    /// A dot path into an entity (<c>spec.type</c>, <c>metadata.annotations.backstage.io/orphan</c>,
    /// <c>relations.ownedBy</c>): no empty segments, no spaces or control characters, bounded length.
    /// </summary>
    public static string Path(string path, string where)
    {
        if (path.Length == 0)
        {
            throw BackstageApiException.Input($"Invalid {where}: the path is empty.");
        }

        if (path.Length > CatalogLimits.MaxFieldPathLength)
        {
            throw BackstageApiException.Input($"Invalid {where}: the path is longer than {CatalogLimits.MaxFieldPathLength} characters.");
        }

        if (path.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw BackstageApiException.Input($"Invalid {where}: '{Printable(path)}' contains a space or control character.");
        }

        if (path.StartsWith('.') || path.EndsWith('.') || path.Contains("..", StringComparison.Ordinal))
        {
            throw BackstageApiException.Input($"Invalid {where}: '{path}' has an empty segment (a leading, trailing or double dot).");
        }

        return path;
    }

    /// <summary>A value to compare with; bounded.</summary>
    public static string Value(string value, string where) => value.Length <= CatalogLimits.MaxFilterValueLength
        ? value
        : throw BackstageApiException.Input($"Invalid {where}: the value is longer than {CatalogLimits.MaxFilterValueLength} characters.");

    /// <summary>
    /// A full entity reference, <c>kind:[namespace/]name</c> (the namespace defaults to <c>default</c>), in canonical form.
    /// </summary>
    public static string EntityRefText(string? text, string where) =>
        EntityRef.TryParseRequested(text, null, out var parsed, out var error)
            ? parsed.Canonical
            : throw BackstageApiException.Input($"Invalid {where}: {error}.");

    private static string Printable(string text) => new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
