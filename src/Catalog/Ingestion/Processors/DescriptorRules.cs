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
