namespace Portal.Catalog.Model;

/// <summary>
/// A Backstage entity reference, <c>kind:namespace/name</c>. Comparison and the canonical string are lower-case,
/// as Backstage's <c>stringifyEntityRef</c>.
/// </summary>
public sealed record EntityRef(string Kind, string Namespace, string Name)
{
    /// <summary>The canonical form, <c>kind:namespace/name</c>, all lower-case.</summary>
    public string Canonical { get; } = $"{Kind}:{Namespace}/{Name}".ToLowerInvariant();

    public override string ToString() => Canonical;

    public bool Equals(EntityRef? other) => other is not null && Canonical == other.Canonical;

    public override int GetHashCode() => Canonical.GetHashCode(StringComparison.Ordinal);

    /// <summary>
    /// Parses <c>[kind:][namespace/]name</c> (Backstage's <c>parseRefString</c> rules: kind up to the first ':',
    /// namespace up to the first '/', a '/' before the ':' makes the colon part of the name, an empty part is an error).
    /// </summary>
    /// <param name="text">The reference as written.</param>
    /// <param name="defaultKind">The field's default kind; null when the kind must be written.</param>
    /// <param name="defaultNamespace">The referring entity's namespace, or <c>default</c>.</param>
    /// <param name="result">The parsed reference.</param>
    /// <param name="error">Why the text is not a reference.</param>
    public static bool TryParse(string? text, string? defaultKind, string defaultNamespace, out EntityRef result, out string error)
        => EntityRefParser.TryParse(text, defaultKind, defaultNamespace, out result, out error);

    /// <summary>
    /// Parses a reference a caller sent (a query argument, a filter, a request body) as <see cref="TryParse"/> does, in
    /// the namespace <c>default</c>, after refusing what no stored reference can be: longer than
    /// <see cref="CatalogLimits.MaxRefLength"/>, or holding a control character.
    /// </summary>
    /// <param name="text">The reference as sent.</param>
    /// <param name="defaultKind">The field's default kind (<see cref="DefaultKinds"/>); null when the kind must be written.</param>
    /// <param name="result">The parsed reference.</param>
    /// <param name="error">Why the text is not a reference, without the caller's field name.</param>
    public static bool TryParseRequested(string? text, string? defaultKind, out EntityRef result, out string error)
    {
        result = null!;
        if (text is { Length: > CatalogLimits.MaxRefLength })
        {
            error = $"the entity ref is longer than {CatalogLimits.MaxRefLength} characters";
            return false;
        }

        if (text is not null && text.Any(char.IsControl))
        {
            error = $"'{new string(text.Select(c => char.IsControl(c) ? '?' : c).ToArray())}' contains a control character";
            return false;
        }

        return TryParse(text, defaultKind, "default", out result, out error);
    }

    /// <summary>Parses a full reference (kind required, namespace defaults to <c>default</c>); throws on bad input.</summary>
    public static EntityRef Parse(string text) =>
        TryParse(text, null, "default", out var result, out var error) ? result : throw new FormatException(error);
}
