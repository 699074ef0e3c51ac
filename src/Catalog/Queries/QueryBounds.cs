namespace Portal.Catalog.Queries;

/// <summary>
/// Holds a query to <see cref="CatalogLimits"/> before anything walks it recursively or sends it to the database.
/// Every query passes here, whether a surface built it or a cursor brought it back (a cursor is made by the client as
/// far as the catalog can tell), so neither can ask for more than the other. The filter is walked with an explicit
/// stack: a tree deeper than the limit is refused without recursing into it.
/// </summary>
internal static class QueryBounds
{
    public static void Check(EntityQuery query)
    {
        CheckOrder(query.Order);
        CheckFullText(query.FullText);
        CheckFilter(query.Filter);
    }

    public static void CheckOrder(IReadOnlyList<EntityOrder>? order)
    {
        if (order is null)
        {
            throw new InvalidQueryException("The order is missing.");
        }

        if (order.Count > CatalogLimits.MaxOrderFields)
        {
            throw new InvalidQueryException($"The order names {order.Count} fields; at most {CatalogLimits.MaxOrderFields}.");
        }

        foreach (var field in order)
        {
            Path(field?.Field, "An order field");
        }
    }

    public static void CheckFullText(FullTextFilter? fullText)
    {
        if (fullText is null)
        {
            return;
        }

        if (fullText.Term is { Length: > CatalogLimits.MaxSearchLength } term)
        {
            throw new InvalidQueryException($"The search term is {term.Length} characters; at most {CatalogLimits.MaxSearchLength}.");
        }

        if (fullText.Fields is { } fields)
        {
            if (fields.Count > CatalogLimits.MaxSearchFields)
            {
                throw new InvalidQueryException($"The search names {fields.Count} fields; at most {CatalogLimits.MaxSearchFields}.");
            }

            foreach (var field in fields)
            {
                Path(field, "A search field");
            }
        }
    }

    /// <summary>Nesting, conditions (an empty all-of or any-of counts as one), values, and the size of every key and value.</summary>
    public static void CheckFilter(EntityFilter? filter)
    {
        if (filter is null)
        {
            return;
        }

        var conditions = 0;
        var values = 0;
        var pending = new Stack<(EntityFilter? Node, int Depth)>();
        pending.Push((filter, 0));
        while (pending.TryPop(out var item))
        {
            if (item.Depth > CatalogLimits.MaxFilterDepth)
            {
                throw new InvalidQueryException($"The filter nests deeper than {CatalogLimits.MaxFilterDepth} levels.");
            }

            IReadOnlyList<EntityFilter>? children;
            switch (item.Node)
            {
                case AllOf all:
                    children = all.Filters;
                    break;
                case AnyOf any:
                    children = any.Filters;
                    break;
                case Negation negation:
                    children = [negation.Filter];
                    break;
                case Condition condition:
                    children = null;
                    var key = Path(condition.Key, "A filter key");
                    values += condition.Values?.Count ?? 0;
                    if (values > CatalogLimits.MaxFilterValues)
                    {
                        throw new InvalidQueryException(
                            $"The filter compares with more than {CatalogLimits.MaxFilterValues} values in all (the key {FilterSql.Describe(key)} reaches it).");
                    }

                    foreach (var value in condition.Values ?? [])
                    {
                        if (value is null)
                        {
                            throw new InvalidQueryException($"A value of the filter key {FilterSql.Describe(key)} is missing.");
                        }

                        if (value.Length > CatalogLimits.MaxFilterValueLength)
                        {
                            throw new InvalidQueryException(
                                $"A value of the filter key {FilterSql.Describe(key)} is {value.Length} characters; at most {CatalogLimits.MaxFilterValueLength}.");
                        }
                    }

                    break;
                default:
                    throw new InvalidQueryException("The filter holds an empty or unknown part.");
            }

            if (children is { Count: 0 } || item.Node is Condition)
            {
                if (++conditions > CatalogLimits.MaxFilterConditions)
                {
                    throw new InvalidQueryException($"A filter may hold at most {CatalogLimits.MaxFilterConditions} conditions.");
                }

                continue;
            }

            if (children is null)
            {
                throw new InvalidQueryException("The filter holds an all-of or any-of without its list.");
            }

            foreach (var child in children)
            {
                pending.Push((child, item.Depth + 1));
            }
        }
    }

    /// <summary>A dot path, present and no longer than <see cref="CatalogLimits.MaxFieldPathLength"/>.</summary>
    public static string Path(string? path, string what)
    {
        if (path is null)
        {
            throw new InvalidQueryException($"{what} is missing.");
        }

        return path.Length <= CatalogLimits.MaxFieldPathLength
            ? path
            : throw new InvalidQueryException(
                $"{what} {FilterSql.Describe(path)} is {path.Length} characters; at most {CatalogLimits.MaxFieldPathLength}.");
    }
}
