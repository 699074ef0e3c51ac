using System.Text.RegularExpressions;

namespace Portal.Catalog.Ingestion.Processors;

/// <summary>
/// Backstage's field formats (<c>KubernetesValidatorFunctions</c>, <c>CommonValidatorFunctions</c>). Patterns end in
/// <c>\z</c>, not <c>$</c>: in .NET <c>$</c> also matches before a final newline, which would let <c>"name\n"</c> through.
/// </summary>
internal static partial class DescriptorRules
{
    public const string NameRule =
        "1-63 characters of [a-zA-Z0-9], '-', '_', '.', starting and ending with a letter or digit";

    public const string NamespaceRule = "1-63 characters of [a-zA-Z0-9] in groups separated by '-'";

    public const string KindRule = "1-63 characters of [a-zA-Z0-9], starting with a letter";

    public const string ApiVersionRule =
        "[<dns-subdomain>/]<version>, e.g. backstage.io/v1alpha1; the version is 1-63 characters of [a-zA-Z0-9]";

    public const string TagRule = "1-63 characters of [a-z0-9:+#] in groups separated by '-'";

    public const string KeyRule = "[<dns-subdomain>/]<name>, where the name follows the entity name rule (" + NameRule + ")";

    public const string UrlRule = "an absolute http, https or mailto URL";

    /// <summary>
    /// A URL a portal may render as a link or an image (<see cref="UrlRule"/>): only schemes that cannot run script.
    /// A <c>javascript:</c> (or <c>data:</c>, <c>vbscript:</c>, <c>file:</c>) URL would be stored XSS, or worse.
    /// </summary>
    public static bool IsSafeUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return false;
        }

        return uri.Scheme == Uri.UriSchemeMailto
            || ((uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0);
    }

    /// <summary>
    /// Annotations whose value a portal links to: Backstage's <c>view-url</c> and <c>edit-url</c>, and by convention
    /// any key ending in <c>-url</c> or <c>/url</c>. (Location annotations such as <c>backstage.io/source-location</c> are
    /// links only in their <c>url:</c> form; see <see cref="LocationAnnotations"/>.)
    /// </summary>
    public static bool IsUrlAnnotation(string key) =>
        key.EndsWith("-url", StringComparison.OrdinalIgnoreCase) || key.EndsWith("/url", StringComparison.OrdinalIgnoreCase);

    /// <summary><c>&lt;type&gt;:&lt;target&gt;</c>, as Backstage writes locations; a portal links to it when the type is <c>url</c>.</summary>
    public const string SourceLocationAnnotation = "backstage.io/source-location";

    /// <summary>
    /// The annotations that hold a location, <c>&lt;type&gt;:&lt;target&gt;</c> as Backstage writes them, and what each
    /// one's location is, as a problem names it. A portal links to one whose type is <c>url</c> (the managing file, the
    /// source, the TechDocs), so in that form it follows the link rule; other types (<c>file:</c>, <c>dir:</c>) are not links.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> LocationAnnotations = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [SourceLocationAnnotation] = "the source location",
        ["backstage.io/managed-by-location"] = "the managing location",
        ["backstage.io/managed-by-origin-location"] = "the origin location",
        ["backstage.io/techdocs-ref"] = "the TechDocs location",
    };

    public static bool IsValidObjectName(ReadOnlySpan<char> value) => value.Length is >= 1 and <= 63 && ObjectName().IsMatch(value);

    public static bool IsValidDnsLabel(ReadOnlySpan<char> value) => value.Length is >= 1 and <= 63 && DnsLabel().IsMatch(value);

    /// <summary>The namespace rule: a DNS label, in any case (the canonical reference is lower-case anyway).</summary>
    public static bool IsValidNamespace(ReadOnlySpan<char> value) => value.Length is >= 1 and <= 63 && DnsLabelAnyCase().IsMatch(value);

    public static bool IsValidDnsSubdomain(ReadOnlySpan<char> value)
    {
        if (value.Length is < 1 or > 253)
        {
            return false;
        }

        foreach (var range in value.Split('.'))
        {
            if (!IsValidDnsLabel(value[range]))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidKind(ReadOnlySpan<char> value) => value.Length is >= 1 and <= 63 && Kind().IsMatch(value);

    public static bool IsValidApiVersion(ReadOnlySpan<char> value) =>
        SplitPrefix(value, out var suffix) && suffix.Length is >= 1 and <= 63 && Alphanumeric().IsMatch(suffix);

    /// <summary>A label or annotation key: <c>[dns-subdomain/]name</c>.</summary>
    public static bool IsValidKey(ReadOnlySpan<char> value) => SplitPrefix(value, out var name) && IsValidObjectName(name);

    public static bool IsValidLabelValue(ReadOnlySpan<char> value) => value.Length == 0 || IsValidObjectName(value);

    /// <summary>The union of the tag rules Backstage has used, so that no tag it accepts is rejected here.</summary>
    public static bool IsValidTag(ReadOnlySpan<char> value) => value.Length is >= 1 and <= 63 && Tag().IsMatch(value);

    /// <summary>Checks the optional <c>dns-subdomain/</c> prefix and returns what follows it.</summary>
    private static bool SplitPrefix(ReadOnlySpan<char> value, out ReadOnlySpan<char> suffix)
    {
        var slash = value.IndexOf('/');
        if (slash < 0)
        {
            suffix = value;
            return true;
        }

        suffix = value[(slash + 1)..];
        return !suffix.Contains('/') && IsValidDnsSubdomain(value[..slash]);
    }

    [GeneratedRegex(@"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\z")]
    private static partial Regex ObjectName();

    [GeneratedRegex(@"^[a-z0-9]+(-[a-z0-9]+)*\z")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*\z")]
    private static partial Regex DnsLabelAnyCase();

    [GeneratedRegex(@"^[a-zA-Z][a-z0-9A-Z]*\z")]
    private static partial Regex Kind();

    [GeneratedRegex(@"^[a-z0-9A-Z]+\z")]
    private static partial Regex Alphanumeric();

    [GeneratedRegex(@"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*\z")]
    private static partial Regex Tag();
}
