using GraphQL.Types;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed record Facet(string Field, IReadOnlyList<FacetValue> Values);

public sealed class FacetGraphType : ObjectGraphType<Facet>
{
    public FacetGraphType()
    {
        Name = "Facet";
        Field<NonNullGraphType<StringGraphType>>("field").Resolve(c => c.Source.Field);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<FacetValueGraphType>>>>("values").Resolve(c => c.Source.Values);
    }
}
