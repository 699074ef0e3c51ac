using System.Text.Json;
using Portal.Catalog.Queries;
using Portal.Gateway.Hosting.Http;

namespace Portal.Gateway.Backstage.Catalog;

/// <summary>
/// JSON request bodies of the catalog REST API: read within the gateway's bounds (<see cref="BoundedJsonBody"/>: media
/// type, size, depth), always an object at the root, and refused with Backstage's error names.
/// </summary>
internal static class CatalogRequestBody
{
    public static async Task<BoundedJsonBody> ReadAsync(HttpContext context, int maxBytes)
    {
        var body = await BoundedJsonBody.ReadAsync(context.Request, maxBytes, context.RequestAborted);
        var refused = body.Failure switch
        {
            JsonBodyFailure.UnsupportedMediaType => new BackstageApiException(StatusCodes.Status415UnsupportedMediaType, "UnsupportedMediaTypeError",
                $"The request body must be application/json; got '{context.Request.ContentType ?? "no Content-Type"}'."),
            JsonBodyFailure.TooLarge => TooLarge(maxBytes),
            JsonBodyFailure.Empty => BackstageApiException.Input("The request body is empty; send a JSON object."),
            JsonBodyFailure.InvalidJson => BackstageApiException.Input($"The request body is not valid JSON: {body.ParseError}"),
            _ when body.RootElement.ValueKind != JsonValueKind.Object => BackstageApiException.Input("The request body must be a JSON object."),
            _ when UnreadableText(body.RootElement) is { } where => BackstageApiException.Input(
                $"The request body is not valid: {where} is not valid UTF-16 text (a lone surrogate escape, such as \\ud800)."),
            _ => null,
        };
        if (refused is not null)
        {
            body.Dispose();
            throw refused;
        }

        return body;
    }

    /// <summary>
    /// Where the body holds a string or member name that cannot be read as text (JSON allows escaping a lone surrogate,
    /// <c>\ud800</c>, but no .NET string reader accepts it): found once here, so that no handler fails on it later as an
    /// unexpected error. The walk is iterative and the body is at most <see cref="BoundedJsonBody.MaxDepth"/> deep.
    /// </summary>
    private static string? UnreadableText(JsonElement root)
    {
        var pending = new Stack<(JsonElement Element, string Path)>();
        pending.Push((root, "the body"));
        while (pending.TryPop(out var item))
        {
            switch (item.Element.ValueKind)
            {
                case JsonValueKind.String when !Readable(() => item.Element.GetString()):
                    return item.Path;
                case JsonValueKind.Object:
                    foreach (var member in item.Element.EnumerateObject())
                    {
                        if (!Readable(() => member.Name))
                        {
                            return $"a member name in {item.Path}";
                        }

                        pending.Push((member.Value, item.Path == "the body" ? member.Name : $"{item.Path}.{member.Name}"));
                    }

                    break;
                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var element in item.Element.EnumerateArray())
                    {
                        pending.Push((element, $"{item.Path}[{index++}]"));
                    }

                    break;
            }
        }

        return null;

        static bool Readable(Func<string?> read)
        {
            try
            {
                read();
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
    }

    /// <summary>The body of <c>POST /entities/by-query</c>, Backstage's predicate form of the same query.</summary>
    public static (EntityQuery Query, FieldSelection Fields) ByQuery(JsonElement body)
    {
        var fields = CatalogRequestParser.Fields(Strings(body, "fields"));
        var limit = Integer(body, "limit") ?? CatalogRequestParser.DefaultLimit;
        var offset = Integer(body, "offset") ?? 0;
        if (OptionalString(body, "cursor") is { } cursor)
        {
            return cursor.Length > 0
                ? (new EntityQuery { Cursor = cursor, Limit = limit }, fields)
                : throw BackstageApiException.Input("Invalid cursor: it must not be empty.");
        }

        var order = new List<EntityOrder>();
        foreach (var (item, i) in Items(body, "orderBy").Select((item, i) => (item, i)))
        {
            var where = $"orderBy[{i}]";
            if (item.ValueKind != JsonValueKind.Object || OptionalString(item, "field", where) is not { } field)
            {
                throw BackstageApiException.Input($"Invalid {where}: expected {{\"field\": \"<path>\", \"order\": \"asc\" | \"desc\"}}.");
            }

            order.Add(CatalogRequestParser.Order(field, OptionalString(item, "order", where), where));
        }

        order.AddRange(CatalogRequestParser.OrderFields(Strings(body, "orderField")));
        FullTextFilter? fullText = null;
        if (body.TryGetProperty("fullTextFilter", out var search) && search.ValueKind != JsonValueKind.Null)
        {
            if (search.ValueKind != JsonValueKind.Object)
            {
                throw BackstageApiException.Input("Invalid fullTextFilter: expected {\"term\": \"...\", \"fields\": [...]}.");
            }

            fullText = CatalogRequestParser.FullText(OptionalString(search, "term", "fullTextFilter"), Strings(search, "fields", "fullTextFilter"));
        }

        var query = body.TryGetProperty("query", out var predicate) && predicate.ValueKind != JsonValueKind.Null
            ? PredicateParser.Parse(predicate, "query")
            : null;
        return (new EntityQuery
        {
            Filter = query,
            Order = CatalogRequestParser.CheckOrderCount(order),
            FullText = fullText,
            Limit = limit,
            Offset = offset,
        }, fields);
    }

    /// <summary>A string member, or null when it is absent or null.</summary>
    public static string? OptionalString(JsonElement body, string name, string? where = null)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw BackstageApiException.Input($"Invalid {Member(name, where)}: expected a string.");
    }

    public static string RequiredString(JsonElement body, string name) => OptionalString(body, name) is { Length: > 0 } value
        ? value
        : throw BackstageApiException.Input($"Invalid request body: '{name}' is required and must be a non-empty string.");

    /// <summary>An array member of strings, or empty when it is absent.</summary>
    public static List<string?> Strings(JsonElement body, string name, string? where = null) => Items(body, name, where)
        .Select((item, i) => item.ValueKind == JsonValueKind.String
            ? item.GetString()
            : throw BackstageApiException.Input($"Invalid {Member(name, where)}[{i}]: expected a string."))
        .ToList();

    /// <summary>The items of an array member, or none when it is absent.</summary>
    public static IEnumerable<JsonElement> Items(JsonElement body, string name, string? where = null)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        return value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : throw BackstageApiException.Input($"Invalid {Member(name, where)}: expected an array.");
    }

    private static int? Integer(JsonElement body, string name)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var number))
        {
            throw BackstageApiException.Input($"Invalid {name}: expected an integer.");
        }

        return number >= 0 ? number : throw BackstageApiException.Input($"Invalid {name}, must be zero or greater.");
    }

    private static string Member(string name, string? where) => where is null ? name : $"{where}.{name}";

    private static BackstageApiException TooLarge(int maxBytes) => new(StatusCodes.Status413PayloadTooLarge, "PayloadTooLargeError",
        $"The request body is larger than {maxBytes} bytes (BackstageApi:MaxRequestBytes).");
}
