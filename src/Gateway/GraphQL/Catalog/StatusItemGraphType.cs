using GraphQL.Types;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class StatusItemGraphType : ObjectGraphType<StatusItem>
{
    public StatusItemGraphType()
    {
        Name = "StatusItem";
        Field<NonNullGraphType<StringGraphType>>("type").ResolveProperty(item => item.Type);
        Field<NonNullGraphType<StringGraphType>>("level").ResolveProperty(item => item.Level);
        Field<NonNullGraphType<StringGraphType>>("message").ResolveProperty(item => item.Message);
    }
}
