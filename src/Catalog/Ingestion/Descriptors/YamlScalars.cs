using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Portal.Catalog.Ingestion.Descriptors;

/// <summary>
/// Resolves scalars with the YAML 1.2 core schema, as Backstage's <c>yaml</c> package does: only plain (unquoted)
/// scalars become null, booleans or numbers; <c>yes</c>, <c>on</c> and friends stay strings.
/// </summary>
internal static partial class YamlScalars
{
    private const string StringTag = "tag:yaml.org,2002:str";

    public static JsonNode? Resolve(Scalar scalar)
    {
        if (scalar.Style != ScalarStyle.Plain || IsStringTag(scalar.Tag))
        {
            return JsonValue.Create(scalar.Value);
        }

        return ResolvePlain(scalar.Value);
    }

    public static JsonNode? ResolvePlain(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        // Dispatch on the first character so that the common case, an ordinary word, costs one comparison.
        switch (value[0])
        {
            case '~' or 'n' or 'N':
                return value is "~" or "null" or "Null" or "NULL" ? null : JsonValue.Create(value);
            case 't' or 'T':
                return value is "true" or "True" or "TRUE" ? JsonValue.Create(true) : JsonValue.Create(value);
            case 'f' or 'F':
                return value is "false" or "False" or "FALSE" ? JsonValue.Create(false) : JsonValue.Create(value);
            case (>= '0' and <= '9') or '-' or '+' or '.':
                return ResolveNumber(value) ?? JsonValue.Create(value);
            default:
                return JsonValue.Create(value);
        }
    }

    private static JsonValue? ResolveNumber(string value)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, invariant, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (value.Length > 2 && value[0] == '0' && value[1] == 'x')
        {
            return ulong.TryParse(value.AsSpan(2), NumberStyles.AllowHexSpecifier, invariant, out var hex) ? JsonValue.Create(hex) : null;
        }

        if (value.Length > 2 && value[0] == '0' && value[1] == 'o' && OctalDigits().IsMatch(value.AsSpan(2)))
        {
            try
            {
                return JsonValue.Create(Convert.ToInt64(value[2..], 8));
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        // Integers too large for a long and decimal fractions. .inf and .nan stay strings: JSON cannot hold them.
        if (Float().IsMatch(value)
            && double.TryParse(value, NumberStyles.Float, invariant, out var number)
            && double.IsFinite(number))
        {
            return JsonValue.Create(number);
        }

        return null;
    }

    private static bool IsStringTag(TagName tag) =>
        !tag.IsEmpty && (tag.IsNonSpecific || tag.Value == StringTag);

    [GeneratedRegex(@"^[0-7]+\z")]
    private static partial Regex OctalDigits();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\z")]
    private static partial Regex Float();
}
