using System.Text.Json;
using GraphQL;
using GraphQL.Transport;

namespace Portal.Gateway.GraphQL.Transport;

/// <summary>
/// Reads one GraphQL request (<c>query</c>, <c>operationName</c>, <c>variables</c>, <c>extensions</c>) from a parsed
/// JSON object: an HTTP body (or one operation of a batch) and a WebSocket subscribe payload alike. Each transport
/// reports the error its own way (a 400, a 4400 close).
/// </summary>
internal static class GraphQLRequestReader
{
    /// <summary>The request, or null and what is wrong with it.</summary>
    public static GraphQLRequest? Read(JsonElement element, IGraphQLSerializer serializer, out string? error)
    {
        error = element.ValueKind != JsonValueKind.Object ? "an operation must be a JSON object"
            : !element.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(query.GetString())
                ? "a non-empty 'query' string is required"
            : element.TryGetProperty("operationName", out var name) && name.ValueKind is not (JsonValueKind.Null or JsonValueKind.String)
                ? "'operationName' must be a string"
            : NotAnObject(element, "variables") ?? NotAnObject(element, "extensions");
        if (error is not null)
        {
            return null;
        }

        return new GraphQLRequest
        {
            Query = element.GetProperty("query").GetString(),
            OperationName = element.TryGetProperty("operationName", out var operationName) ? operationName.GetString() : null,
            Variables = Inputs(element, "variables", serializer),
            Extensions = Inputs(element, "extensions", serializer),
        };
    }

    private static string? NotAnObject(JsonElement element, string member) =>
        element.TryGetProperty(member, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Object)
            ? $"'{member}' must be an object"
            : null;

    // Straight from the parsed JSON, not through its text again.
    private static Inputs? Inputs(JsonElement element, string member, IGraphQLSerializer serializer) =>
        element.TryGetProperty(member, out var value) && value.ValueKind == JsonValueKind.Object ? serializer.ReadNode<Inputs>(value) : null;
}
