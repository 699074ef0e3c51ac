using GraphQL.Types;
using Portal.Catalog;
using Portal.Catalog.Locations;
using Portal.Gateway.GraphQL.Execution;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>
/// What <c>registerLocation</c>, <c>refreshLocation</c> and <c>refreshEntity</c> answer. A dry run answers in the same
/// shape, as the one dry run of both surfaces does (<see cref="LocationService.PreviewAsync"/>): nothing created, and
/// <see cref="Exists"/> says whether the target is registered already (then <c>location</c> is that location).
/// </summary>
public sealed record LocationResult(LocationOutcome Outcome, bool Exists)
{
    public static LocationResult Of(LocationOutcome outcome) => new(outcome, Exists: true);

    public static LocationResult Of(LocationPreview preview) => new(
        new LocationOutcome(
            preview.Existing ?? new LocationInfo(Guid.NewGuid(), preview.Type, preview.Target, null, [], 0),
            preview.Entities.Select(e => e.Ref.Canonical).ToList(),
            [],
            preview.Problems,
            Created: 0,
            Updated: 0,
            Unchanged: 0,
            Removed: 0),
        preview.Existing is not null);
}

public sealed class LocationResultGraphType : ObjectGraphType<LocationResult>
{
    public LocationResultGraphType()
    {
        Name = "LocationResult";
        Description = "What a registration or refresh did.";
        Field<NonNullGraphType<LocationGraphType>>("location").Resolve(c => c.Source.Outcome.Location);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("entityRefs").Description("Refs of the entities the location emits.").Resolve(c => c.Source.Outcome.EntityRefs);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<EntityInterface>>>>("entities")
            .Description("The stored entities (for a dry run, those of the location when it is registered already).")
            .Resolve(c => c.Portal().Entities.LoadMany(c.Source.Outcome.EntityRefs, EntitySelection.PartsFor(c)));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProblemGraphType>>>>("problems")
            .Description($"What went wrong reading, processing or writing: the first {CatalogLimits.MaxProblemsReported} (problemCount counts them all).")
            .Resolve(c => c.Source.Outcome.Problems.Take(CatalogLimits.MaxProblemsReported));
        Field<NonNullGraphType<IntGraphType>>("problemCount").Description("How many problems there are, listed or not.")
            .Resolve(c => c.Source.Outcome.Problems.Count);
        Field<NonNullGraphType<IntGraphType>>("created").Resolve(c => c.Source.Outcome.Created);
        Field<NonNullGraphType<IntGraphType>>("updated").Resolve(c => c.Source.Outcome.Updated);
        Field<NonNullGraphType<IntGraphType>>("unchanged").Resolve(c => c.Source.Outcome.Unchanged);
        Field<NonNullGraphType<IntGraphType>>("removed").Resolve(c => c.Source.Outcome.Removed);
        Field<NonNullGraphType<BooleanGraphType>>("exists")
            .Description("For a dry run, whether the target is registered already (location is then that location); otherwise true.")
            .Resolve(c => c.Source.Exists);
    }
}
