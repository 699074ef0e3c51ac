namespace Portal.Catalog;

/// <summary>
/// How much one request may ask of the catalog: one set of numbers for every surface. The GraphQL schema and the
/// Backstage REST adapter check them before anything reaches the database, each in its own wording, and the catalog
/// checks them again where it runs the request, so a caller that skips a surface (a crafted cursor, a module calling
/// a query service) is held to the same bounds.
/// </summary>
public static class CatalogLimits
{
    /// <summary>Longest full-text search term, in characters.</summary>
    public const int MaxSearchLength = 256;

    /// <summary>Most fields one page may be ordered by.</summary>
    public const int MaxOrderFields = 10;

    /// <summary>Most entity references one batch read may name.</summary>
    public const int MaxRefsPerRequest = 10_000;

    /// <summary>Longest entity reference, in characters.</summary>
    public const int MaxRefLength = 512;

    /// <summary>Most conditions (key = values, or key exists) one filter may hold.</summary>
    public const int MaxFilterConditions = 200;

    /// <summary>
    /// Most values one filter may compare with, across all its conditions (Backstage's <c>$in</c>, repeated
    /// <c>key=value</c> statements, GraphQL value lists). Each value is a probe of an index and a bound parameter:
    /// 60,000 took seconds, and 65,536 exceed what PostgreSQL accepts in one statement.
    /// </summary>
    public const int MaxFilterValues = 1_000;

    /// <summary>Longest value a filter compares with, in characters.</summary>
    public const int MaxFilterValueLength = 1_024;

    /// <summary>Longest dot path (a filter key, an order field, a search field), in characters.</summary>
    public const int MaxFieldPathLength = 256;

    /// <summary>Most fields one full-text search may name.</summary>
    public const int MaxSearchFields = 100;

    /// <summary>
    /// Longest cursor, in characters. A cursor carries the filter, search and order of the request that made it,
    /// which are held to the limits above again when it comes back, as a fresh request would be.
    /// </summary>
    public const int MaxCursorLength = 16 * 1024;

    /// <summary>
    /// Deepest nesting of a filter tree (all, any, not). A surface whose own syntax adds a level per construct (a
    /// GraphQL <c>not</c> becomes an all-of holding a negation) allows fewer of its own levels.
    /// </summary>
    public const int MaxFilterDepth = 16;

    /// <summary>Largest page.</summary>
    public const int MaxPageSize = 500;

    /// <summary>Most history items one read returns.</summary>
    public const int MaxHistoryItems = 1_000;

    /// <summary>Most facets (fields) one facets request may ask for.</summary>
    public const int MaxFacetFields = 20;

    /// <summary>Most values one facet lists (the first in the order asked for); the rest are left out.</summary>
    public const int MaxFacetValues = 10_000;

    /// <summary>Deepest walk of an entity's relation graph (GraphQL <c>graph(depth:)</c>).</summary>
    public const int MaxGraphDepth = 10;

    /// <summary>Longest location type, in characters.</summary>
    public const int MaxLocationTypeLength = 64;

    /// <summary>Longest location target, in characters.</summary>
    public const int MaxLocationTargetLength = 4_096;

    /// <summary>
    /// Most problems one answer lists (a validation report, a dry run, a registration or refresh, an error's
    /// extensions) and one location keeps of its last read; each list goes with a count of all its problems. A file
    /// of 10,000 invalid documents has tens of thousands of problems: listed whole, megabytes per answer, and stored
    /// whole, megabytes rewritten on every refresh and read again by every locations query.
    /// </summary>
    public const int MaxProblemsReported = 100;

    /// <summary>
    /// Most problems one error message names (an invalid entity, a refused dry run); it counts the rest. A message is
    /// read by a person: the structured list beside it, where there is one, holds up to <see cref="MaxProblemsReported"/>.
    /// </summary>
    public const int MaxProblemsInMessage = 10;
}
