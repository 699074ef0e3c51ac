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

    /// <summary>Parses a full reference (kind required, namespace defaults to <c>default</c>); throws on bad input.</summary>
    public static EntityRef Parse(string text) =>
        TryParse(text, null, "default", out var result, out var error) ? result : throw new FormatException(error);
}
