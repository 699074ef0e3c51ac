using GraphQL.Types;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class FacetValueGraphType : ObjectGraphType<FacetValue>
{
    public FacetValueGraphType()
    {
        Name = "FacetValue";
        Field<NonNullGraphType<StringGraphType>>("value").Resolve(c => c.Source.Value);
        Field<NonNullGraphType<IntGraphType>>("count").Resolve(c => c.Source.Count);
    }
}
