using GraphQL.Types;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class PageInfoGraphType : ObjectGraphType<EntityPage>
{
    public PageInfoGraphType()
    {
        Name = "PageInfo";
        Field<NonNullGraphType<BooleanGraphType>>("hasNextPage").Resolve(c => c.Source.HasMore && c.Source.Items.Count > 0);
        Field<StringGraphType>("endCursor").Resolve(c => c.Source.Items.Count > 0 ? c.Source.CursorAfter(c.Source.Items.Count - 1) : null);
    }
}
