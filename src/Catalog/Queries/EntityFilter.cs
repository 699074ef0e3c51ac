using System.Text.Json.Serialization;
using Portal.Catalog.Model;

namespace Portal.Catalog.Queries;

/// <summary>
/// A Backstage entity filter as a tree: conditions combined with all/any/not. Backstage's GET form
/// (<c>filter=a=1,b=2&amp;filter=c</c>) is any-of (across parameters) of all-of (inside one); its POST predicates map 1:1.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$t")]
[JsonDerivedType(typeof(AllOf), "all")]
[JsonDerivedType(typeof(AnyOf), "any")]
[JsonDerivedType(typeof(Negation), "not")]
[JsonDerivedType(typeof(Condition), "eq")]
public abstract record EntityFilter
{
    public static EntityFilter All(params EntityFilter[] filters) => new AllOf(filters);

    public static EntityFilter Any(params EntityFilter[] filters) => new AnyOf(filters);

    /// <summary><c>key=value</c> (any of <paramref name="values"/>), compared case-insensitively.</summary>
    public static EntityFilter Equal(string key, params string[] values) => new Condition(key, values);

    /// <summary>The key exists.</summary>
    public static EntityFilter Exists(string key) => new Condition(key, null);

    /// <summary>
    /// Owned by any of <paramref name="owners"/> (<c>relations.ownedBy</c>); a short ref gets the owner's default kind
    /// (<see cref="DefaultKinds.Owner"/>), so "team-a" is <c>group:default/team-a</c>.
    /// </summary>
    /// <param name="owners">The owners' refs, as a caller wrote them.</param>
    /// <param name="where">Where the caller took them from, for the message of a bad ref (<c>filter.owner</c>).</param>
    public static EntityFilter OwnedBy(IEnumerable<string> owners, string where) =>
        Equal("relations.ownedBy", Refs(owners, DefaultKinds.Owner, where));

    /// <summary>Part of any of <paramref name="systems"/> (<c>relations.partOf</c>); a short ref gets the kind <see cref="DefaultKinds.System"/>.</summary>
    /// <param name="systems">The systems' refs, as a caller wrote them.</param>
    /// <param name="where">Where the caller took them from, for the message of a bad ref.</param>
    public static EntityFilter PartOfSystem(IEnumerable<string> systems, string where) =>
        Equal("relations.partOf", Refs(systems, DefaultKinds.System, where));

    private static string[] Refs(IEnumerable<string> values, string defaultKind, string where) =>
        [.. values.Select(value => EntityRef.TryParseRequested(value, defaultKind, out var parsed, out var error)
            ? parsed.Canonical
            : throw new InvalidQueryException($"{where}: {error}"))];
}

/// <summary>Every filter matches. Empty: everything matches.</summary>
public sealed record AllOf(IReadOnlyList<EntityFilter> Filters) : EntityFilter;

/// <summary>At least one filter matches. Empty: nothing matches.</summary>
public sealed record AnyOf(IReadOnlyList<EntityFilter> Filters) : EntityFilter;

public sealed record Negation(EntityFilter Filter) : EntityFilter;

/// <summary>A dot path (<c>spec.type</c>, <c>metadata.tags</c>, <c>relations.ownedBy</c>) equal to one of the values, or existing when Values is null.</summary>
public sealed record Condition(string Key, IReadOnlyList<string>? Values) : EntityFilter;

/// <summary>Sort by a dot path, ascending or descending.</summary>
public sealed record EntityOrder(string Field, bool Descending = false);

/// <summary>A case-insensitive substring search over the named fields (default: name, title, description, tags).</summary>
public sealed record FullTextFilter(string Term, IReadOnlyList<string>? Fields = null);

/// <summary>One page request. A cursor, when given, carries the filter, search and order it was made with.</summary>
public sealed record EntityQuery
{
    public EntityFilter? Filter { get; init; }

    public FullTextFilter? FullText { get; init; }

    public IReadOnlyList<EntityOrder> Order { get; init; } = [];

    /// <summary>Page size; bounded by the service.</summary>
    public int Limit { get; init; } = 20;

    /// <summary>Offset paging, for Backstage's <c>offset</c> parameter; cursors are cheaper for deep pages.</summary>
    public int Offset { get; init; }

    public string? Cursor { get; init; }

    /// <summary>Count every match (one more aggregate query); off for callers that do not show a total.</summary>
    public bool IncludeTotal { get; init; } = true;

    /// <summary>What to read besides the columns; callers that show only columns leave out the costly parts.</summary>
    public EntityParts Parts { get; init; } = EntityParts.All;

    /// <summary>
    /// When set, the page also carries the entities its items refer to (<see cref="EntityPage.Related"/>), read with the
    /// include's parts in the same round trip: a page that shows its items' owners, say, needs no second query.
    /// </summary>
    public RelatedEntities? Include { get; init; }
}

/// <summary>The entities a page's items refer to, by which references, and what to read of them.</summary>
public sealed record RelatedEntities(EntityReferences References, EntityParts Parts);

/// <summary>The references an entity holds in its own row.</summary>
[Flags]
public enum EntityReferences
{
    None = 0,

    /// <summary><c>spec.owner</c>.</summary>
    Owner = 1,

    /// <summary><c>spec.system</c>.</summary>
    System = 2,
}

public sealed record EntityPage(IReadOnlyList<CatalogEntity> Items, int? TotalCount, bool HasMore)
{
    private string? _nextCursor;

    /// <summary>The entities the items refer to, when the query asked for them (<see cref="EntityQuery.Include"/>); each once, in no particular order.</summary>
    public IReadOnlyList<CatalogEntity> Related { get; init; } = [];

    /// <summary>Makes the cursor that resumes right after item i; computed on demand (Relay edges ask for it).</summary>
    internal Func<int, string>? CursorFactory { get; init; }

    /// <summary>Resumes after the last item; null on the last page. Encoded on first use: many callers only need <see cref="HasMore"/>.</summary>
    public string? NextCursor => HasMore && Items.Count > 0 ? _nextCursor ??= CursorAfter(Items.Count - 1) : null;

    /// <summary>A cursor that resumes right after the item at <paramref name="index"/>.</summary>
    public string CursorAfter(int index) => CursorFactory?.Invoke(index) ?? throw new ArgumentOutOfRangeException(nameof(index));
}

/// <summary>A filter, order or cursor the catalog cannot run; the message names the part.</summary>
public sealed class InvalidQueryException(string message) : Exception(message);
