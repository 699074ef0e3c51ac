using System.Collections;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Portal.Gateway.GraphQL.Scalars;

/// <summary>
/// Arbitrary JSON (a descriptor's <c>spec</c>, labels, annotations). Output is written as the JSON it holds; input
/// arrives as a literal or a variable and is handed to resolvers as a <see cref="JsonNode"/>. Input is converted
/// without recursion (an explicit stack) and at most <see cref="MaxDepth"/> levels deep, so no input can exhaust the
/// stack here, whatever the parser and the JSON reader in front of it allow.
/// </summary>
public sealed class JsonGraphType : ScalarGraphType
{
    /// <summary>Deepest JSON value accepted as input, the same as a JSON request body's (BoundedJsonBody.MaxDepth).</summary>
    public const int MaxDepth = 64;

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
        JsonElement element => JsonNode.Parse(element.GetRawText(), documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth }),
        _ => Convert<object?>(value, VariableValue),
    };

    public override object? ParseLiteral(GraphQLValue value) => Convert(value, LiteralValue);

    public override bool CanParseLiteral(GraphQLValue value) => true;

    public override bool CanParseValue(object? value) => true;

    /// <summary>
    /// Builds the node of a value and of everything it holds, level by level: <paramref name="leaf"/> turns one value
    /// into a node (an empty container for an object or a list, together with what it holds), and the loop fills the
    /// containers.
    /// </summary>
    private static JsonNode? Convert<T>(T value, Func<T, (JsonNode? Node, IEnumerable<(string? Name, T Value)>? Children)> leaf)
    {
        var (root, rootChildren) = leaf(value);
        var pending = new Stack<(JsonNode Container, IEnumerable<(string? Name, T Value)> Children, int Depth)>();
        if (rootChildren is not null)
        {
            pending.Push((root!, rootChildren, 1));
        }

        while (pending.TryPop(out var item))
        {
            if (item.Depth > MaxDepth)
            {
                throw new InvalidOperationException($"A JSON value may nest at most {MaxDepth} levels.");
            }

            foreach (var (name, child) in item.Children)
            {
                var (node, children) = leaf(child);
                if (item.Container is JsonObject obj)
                {
                    obj[name!] = node;
                }
                else
                {
                    ((JsonArray)item.Container).Add(node);
                }

                if (children is not null)
                {
                    pending.Push((node!, children, item.Depth + 1));
                }
            }
        }

        return root;
    }

    // A variable's value as GraphQL.NET's JSON reader made it: dictionaries, lists, strings, booleans and numbers.
    private static (JsonNode?, IEnumerable<(string?, object?)>?) VariableValue(object? value) => value switch
    {
        null => (null, null),
        JsonNode node => (node.DeepClone(), null),
        string text => (JsonValue.Create(text), null),
        bool flag => (JsonValue.Create(flag), null),
        int number => (JsonValue.Create(number), null),
        long number => (JsonValue.Create(number), null),
        double number => (JsonValue.Create(number), null),
        decimal number => (JsonValue.Create(number), null),

        // Written as the number it is; serializing it would give its properties (IsZero, Sign, ...).
        BigInteger number => (JsonNode.Parse(number.ToString(CultureInfo.InvariantCulture)), null),
        IEnumerable<KeyValuePair<string, object?>> members => (new JsonObject(), members.Select(m => ((string?)m.Key, m.Value))),
        IEnumerable items => (new JsonArray(), items.Cast<object?>().Select(item => ((string?)null, item))),
        _ => (JsonSerializer.SerializeToNode(value), null),
    };

    private static (JsonNode?, IEnumerable<(string?, GraphQLValue)>?) LiteralValue(GraphQLValue value) => value switch
    {
        GraphQLNullValue => (null, null),
        GraphQLBooleanValue b => (JsonValue.Create(b.BoolValue), null),
        GraphQLIntValue i => (JsonNode.Parse(i.Value.ToString()), null),
        GraphQLFloatValue f => (JsonNode.Parse(f.Value.ToString()), null),
        GraphQLStringValue s => (JsonValue.Create(s.Value.ToString()), null),
        GraphQLEnumValue e => (JsonValue.Create(e.Name.StringValue), null),
        GraphQLListValue list => (new JsonArray(), (list.Values ?? []).Select(v => ((string?)null, v))),
        GraphQLObjectValue obj => (new JsonObject(), (obj.Fields ?? []).Select(f => ((string?)f.Name.StringValue, f.Value))),
        _ => throw new InvalidOperationException($"{value.Kind} is not a JSON value."),
    };
}
