using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Portal.Catalog.Ingestion.Descriptors;

/// <summary>Wording shared by the reader, the processors and the reference parser, so messages read alike.</summary>
internal static class DescriptorText
{
    private const int MaxQuotedLength = 80;

    /// <summary>
    /// The value in double quotes, shortened and with control characters escaped: messages end up in logs and UIs, and
    /// a hostile value must not forge lines there.
    /// </summary>
    public static string Quote(string value) => Escape(new StringBuilder(Math.Min(value.Length, MaxQuotedLength) + 8).Append('"'), value).Append('"').ToString();

    /// <summary>A key as part of a field path (<c>metadata.labels.&lt;key&gt;</c>), escaped like <see cref="Quote"/> but unquoted.</summary>
    public static string Key(string key)
    {
        foreach (var c in key)
        {
            if (char.IsControl(c) || char.IsSurrogate(c))
            {
                return Escape(new StringBuilder(key.Length + 8), key).ToString();
            }
        }

        return key.Length <= MaxQuotedLength ? key : Escape(new StringBuilder(MaxQuotedLength + 1), key).ToString();
    }

    private static StringBuilder Escape(StringBuilder builder, string value)
    {
        for (var i = 0; i < value.Length && i < MaxQuotedLength; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
                continue;
            }

            // A lone surrogate is escaped too: the message is stored as JSON, which cannot hold one.
            _ = c switch
            {
                '"' => builder.Append("\\\""),
                '\\' => builder.Append("\\\\"),
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                _ when char.IsControl(c) || char.IsSurrogate(c) => builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return value.Length > MaxQuotedLength ? builder.Append('…') : builder;
    }

    /// <summary>What a JSON value is, for "must be a string, found a number".</summary>
    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue value => value.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => "a string",
            System.Text.Json.JsonValueKind.Number => "a number",
            System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };
}
