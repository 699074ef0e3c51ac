using GraphQL.Types;

namespace Portal.Gateway.GraphQL.Catalog;

public enum SortDirection
{
    Asc,
    Desc,
}

public sealed class SortDirectionGraphType : EnumerationGraphType<SortDirection>
{
    public SortDirectionGraphType() => Name = "SortDirection";
}
