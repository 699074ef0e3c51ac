using System.Text.Json;
using GraphQL;
using GraphQL.Transport;

namespace Portal.Gateway.GraphQL.Transport;

/// <summary>
/// Reads one GraphQL request (<c>query</c>, <c>operationName</c>, <c>variables</c>, <c>extensions</c>) from a parsed
/// JSON object: an HTTP body (or one operation of a batch), a GET request's parameters and a WebSocket subscribe
/// payload alike. Each transport reports the problem its own way (a 400; a 4400 close, or an error message).
/// </summary>
/// <remarks>
/// JSON lets a string hold any <c>\u</c> escape, a lone surrogate (<c>"\ud800"</c>) included, but a .NET string read
/// from it must be valid UTF-16: reading one throws. Every string of the request is read here, so that such a request
/// is answered as the client's mistake, naming where it is, and never as a server fault.
/// </remarks>
internal static class GraphQLRequestReader
{
    /// <summary>The request, or null and what is wrong with it.</summary>
    public static GraphQLRequest? Read(JsonElement element, IGraphQLSerializer serializer, out RequestProblem? problem)
    {
        var shape = element.ValueKind != JsonValueKind.Object ? "an operation must be a JSON object"
            : !element.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String
                ? "a non-empty 'query' string is required"
            : element.TryGetProperty("operationName", out var name) && name.ValueKind is not (JsonValueKind.Null or JsonValueKind.String)
                ? "'operationName' must be a string"
            : NotAnObject(element, "variables") ?? NotAnObject(element, "extensions");
        if (shape is not null)
        {
            problem = new RequestProblem(shape, Malformed: true);
            return null;
        }

        if (ReadString(element.GetProperty("query"), "query", out problem) is not { } text)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            problem = new RequestProblem("a non-empty 'query' string is required", Malformed: true);
            return null;
        }

        string? operationName = null;
        if (element.TryGetProperty("operationName", out var operation) && operation.ValueKind == JsonValueKind.String
            && (operationName = ReadString(operation, "operationName", out problem)) is null)
        {
            return null;
        }

        if (!TryReadInputs(Member(element, "variables"), "variables", serializer, out var variables, out problem)
            || !TryReadInputs(Member(element, "extensions"), "extensions", serializer, out var extensions, out problem))
        {
            return null;
        }

        return new GraphQLRequest { Query = text, OperationName = operationName, Variables = variables, Extensions = extensions };
    }

    /// <summary>
    /// Reads <c>variables</c> or <c>extensions</c> (an object; anything else is none: the caller checked the shape)
    /// straight from the parsed JSON, not through its text again. <paramref name="path"/> names it in a problem.
    /// </summary>
    public static bool TryReadInputs(JsonElement? value, string path, IGraphQLSerializer serializer, out Inputs? inputs, out RequestProblem? problem)
    {
        inputs = null;
        problem = null;
        if (value is not { ValueKind: JsonValueKind.Object } json)
        {
            return true;
        }

        try
        {
            inputs = serializer.ReadNode<Inputs>(json);
            return true;
        }
        catch (Exception exception) when (exception is InvalidOperationException or JsonException or NotImplementedException
            or FormatException or OverflowException or ArgumentException)
        {
            // GraphQL.NET's reader throws on a string that is not UTF-16 and on a member named twice (and, it says, on a
            // number it has no type for); the walk below finds which value it was.
            problem = new RequestProblem(Unreadable(json, path) ?? $"'{path}' could not be read: {exception.Message}", Malformed: false);
            return false;
        }
    }

    private static JsonElement? Member(JsonElement element, string member) =>
        element.TryGetProperty(member, out var value) ? value : null;

    private static string? NotAnObject(JsonElement element, string member) =>
        element.TryGetProperty(member, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Object)
            ? $"'{member}' must be an object"
            : null;

    private static string? ReadString(JsonElement value, string path, out RequestProblem? problem)
    {
        if (TryGetString(value, out var text))
        {
            problem = null;
            return text;
        }

        problem = new RequestProblem(NotText(path), Malformed: false);
        return null;
    }

    /// <summary>A JSON string's value, or false when it holds an escape that is not UTF-16 (a lone surrogate).</summary>
    public static bool TryGetString(JsonElement value, out string? text)
    {
        try
        {
            text = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    /// <summary>
    /// Where a value GraphQL.NET cannot read is, and why: a string or a member name that is not UTF-16, or a member
    /// named twice. Iterative; the JSON's own depth limit bounds the stack.
    /// </summary>
    private static string? Unreadable(JsonElement root, string rootPath)
    {
        var pending = new Stack<(JsonElement Value, string Path)>();
        pending.Push((root, rootPath));
        while (pending.TryPop(out var item))
        {
            switch (item.Value.ValueKind)
            {
                case JsonValueKind.Object:
                    var names = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var member in item.Value.EnumerateObject())
                    {
                        string name;
                        try
                        {
                            name = member.Name;
                        }
                        catch (InvalidOperationException)
                        {
                            return $"a member name in '{item.Path}' is not valid UTF-16 text (it holds a lone surrogate escape such as \\ud800)";
                        }

                        if (!names.Add(name))
                        {
                            return $"'{item.Path}' names the member '{Shorten(name)}' twice";
                        }

                        pending.Push((member.Value, $"{item.Path}.{name}"));
                    }

                    break;

                case JsonValueKind.Array:
                    var index = 0;
                    foreach (var element in item.Value.EnumerateArray())
                    {
                        pending.Push((element, $"{item.Path}[{index++}]"));
                    }

                    break;

                case JsonValueKind.String when !TryGetString(item.Value, out _):
                    return NotText(item.Path);
            }
        }

        return null;
    }

    private static string NotText(string path) =>
        $"'{path}' is not valid UTF-16 text (it holds a lone surrogate escape such as \\ud800)";

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}

/// <summary>
/// What is wrong with a request. <see cref="Malformed"/>: it is not shaped as a GraphQL request at all (over a
/// WebSocket, a message the protocol does not define, which closes the socket); otherwise it is shaped right but
/// holds a value the server cannot take (the operation is refused with an error).
/// </summary>
internal sealed record RequestProblem(string Message, bool Malformed);
