using System.Text.Json;
using System.Text.Json.Nodes;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Portal.Gateway.GraphQL.Scalars;

/// <summary>
/// Arbitrary JSON (a descriptor's <c>spec</c>, labels, annotations). Output is written as the JSON it holds; input
/// arrives as a literal or a variable and is handed to resolvers as a <see cref="JsonNode"/>.
/// </summary>
public sealed class JsonGraphType : ScalarGraphType
{
    private const int MaxLiteralDepth = 64;

    public JsonGraphType()
    {
        Name = "JSON";
        Description = "Any JSON value.";
    }

    public override object? Serialize(object? value) => value;

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        JsonNode node => node,
        JsonElement element => JsonNode.Parse(element.GetRawText()),
        _ => JsonSerializer.SerializeToNode(value),
    };

    public override object? ParseLiteral(GraphQLValue value) => ToNode(value, 0);

    public override bool CanParseLiteral(GraphQLValue value) => true;

    public override bool CanParseValue(object? value) => true;

    private static JsonNode? ToNode(GraphQLValue value, int depth)
    {
        if (depth > MaxLiteralDepth)
        {
            throw new InvalidOperationException($"A JSON literal may nest at most {MaxLiteralDepth} levels.");
        }

        return value switch
        {
            GraphQLNullValue => null,
            GraphQLBooleanValue b => JsonValue.Create(b.BoolValue),
            GraphQLIntValue i => JsonNode.Parse(i.Value.ToString()),
            GraphQLFloatValue f => JsonNode.Parse(f.Value.ToString()),
            GraphQLStringValue s => JsonValue.Create(s.Value.ToString()),
            GraphQLEnumValue e => JsonValue.Create(e.Name.StringValue),
            GraphQLListValue list => new JsonArray((list.Values ?? []).Select(v => ToNode(v, depth + 1)).ToArray()),
            GraphQLObjectValue obj => new JsonObject((obj.Fields ?? []).Select(f =>
                KeyValuePair.Create(f.Name.StringValue, ToNode(f.Value, depth + 1)))),
            _ => throw new InvalidOperationException($"{value.Kind} is not a JSON value."),
        };
    }
}
