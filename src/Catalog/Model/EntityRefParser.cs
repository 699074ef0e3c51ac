using Portal.Catalog.Ingestion.Descriptors;

namespace Portal.Catalog.Model;

/// <summary>Backstage's <c>parseRefString</c> and <c>parseEntityRef</c> for the string form of a reference.</summary>
internal static class EntityRefParser
{
    public static bool TryParse(string? text, string? defaultKind, string defaultNamespace, out EntityRef result, out string error)
    {
        result = null!;
        if (string.IsNullOrEmpty(text))
        {
            error = "an entity reference must not be empty";
            return false;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var slash = text.IndexOf('/', StringComparison.Ordinal);

        // "ns/name:with-colon": a '/' ahead of the first ':' makes the colon part of the name.
        if (slash >= 0 && slash < colon)
        {
            colon = -1;
        }

        var kind = colon < 0 ? null : text[..colon];
        var @namespace = slash < 0 ? null : text[(colon + 1)..slash];
        var name = text[(Math.Max(colon, slash) + 1)..];
        if (kind is { Length: 0 } || @namespace is { Length: 0 } || name.Length == 0)
        {
            error = $"{DescriptorText.Quote(text)} is not an entity reference: expected [<kind>:][<namespace>/]<name>";
            return false;
        }

        kind ??= defaultKind;
        if (string.IsNullOrEmpty(kind))
        {
            error = $"{DescriptorText.Quote(text)} has no kind: write it as <kind>:[<namespace>/]<name>, e.g. {DescriptorText.Quote("component:" + name)}";
            return false;
        }

        result = new EntityRef(kind, @namespace ?? (string.IsNullOrEmpty(defaultNamespace) ? "default" : defaultNamespace), name);
        error = "";
        return true;
    }
}
