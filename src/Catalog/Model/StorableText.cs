namespace Portal.Catalog.Model;

/// <summary>
/// What PostgreSQL's <c>text</c> and <c>jsonb</c> can hold: anything but U+0000 and half of a surrogate pair. Text
/// outside that can be neither stored nor matched, and sent to the server it fails as an encoding error.
/// </summary>
internal static class StorableText
{
    public const string Rule = "U+0000 and lone surrogates cannot be stored";

    public static bool IsStorable(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0' || char.IsLowSurrogate(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
        }

        return true;
    }
}
