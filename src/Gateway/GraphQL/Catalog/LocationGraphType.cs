using GraphQL.Types;
using Portal.Catalog;
using Portal.Catalog.Locations;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class LocationGraphType : ObjectGraphType<LocationInfo>
{
    public LocationGraphType()
    {
        Name = "Location";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("type").Description("file, url or git.").Resolve(c => c.Source.Type);
        Field<NonNullGraphType<StringGraphType>>("target").Resolve(c => c.Source.Target);
        Field<DateTimeOffsetGraphType>("refreshedAt").Resolve(c => c.Source.RefreshedAt);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProblemGraphType>>>>("problems")
            .Description($"What went wrong in the last read, the first {CatalogLimits.MaxProblemsReported} (all the location keeps); empty when it was clean.")
            .Resolve(c => c.Source.Problems);
        Field<NonNullGraphType<IntGraphType>>("problemCount").Description("How many problems the last read had, listed or not.")
            .Resolve(c => c.Source.ProblemCount);
    }
}
