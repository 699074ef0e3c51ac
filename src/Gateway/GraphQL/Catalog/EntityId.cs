using System.Text;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>Global ids: base64 of <c>Entity:&lt;ref&gt;</c>, so a node can be fetched back without another table.</summary>
public static class EntityId
{
    private const string Prefix = "Entity:";

    public static string For(string entityRef) => Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + entityRef));

    public static string? RefOf(string id)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(id));
            return text.StartsWith(Prefix, StringComparison.Ordinal) ? text[Prefix.Length..] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
