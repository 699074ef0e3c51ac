using GraphQL.Types;
using Portal.Catalog.Locations;
using Portal.Gateway.GraphQL.Execution;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class LocationResultGraphType : ObjectGraphType<LocationOutcome>
{
    public LocationResultGraphType()
    {
        Name = "LocationResult";
        Description = "What a registration or refresh did.";
        Field<NonNullGraphType<LocationGraphType>>("location").Resolve(c => c.Source.Location);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("entityRefs").Description("Refs of the entities the location emits.").Resolve(c => c.Source.EntityRefs);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EntityInterface>>>>("entities")
            .Description("The stored entities (empty for a dry run).").Resolve(c => c.Portal().Entities.LoadMany(c.Source.EntityRefs, EntitySelection.PartsFor(c)));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProblemGraphType>>>>("problems").Resolve(c => c.Source.Problems);
        Field<NonNullGraphType<IntGraphType>>("created").Resolve(c => c.Source.Created);
        Field<NonNullGraphType<IntGraphType>>("updated").Resolve(c => c.Source.Updated);
        Field<NonNullGraphType<IntGraphType>>("unchanged").Resolve(c => c.Source.Unchanged);
        Field<NonNullGraphType<IntGraphType>>("removed").Resolve(c => c.Source.Removed);
    }
}
