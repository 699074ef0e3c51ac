using System.Text.Json.Nodes;
using GraphQL.Types;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class LinkGraphType : ObjectGraphType<JsonObject>
{
    public LinkGraphType()
    {
        Name = "Link";
        Field<NonNullGraphType<StringGraphType>>("url").Resolve(c => (string?)c.Source["url"] ?? "");
        Field<StringGraphType>("title").Resolve(c => (string?)c.Source["title"]);
        Field<StringGraphType>("icon").Resolve(c => (string?)c.Source["icon"]);
        Field<StringGraphType>("type").Resolve(c => (string?)c.Source["type"]);
    }
}
