using GraphQL.Types;
using Portal.Catalog;
using Portal.Catalog.Model;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class ValidationReportGraphType : ObjectGraphType<Portal.Catalog.Ingestion.Descriptors.DescriptorBatch>
{
    public ValidationReportGraphType()
    {
        Name = "ValidationReport";
        Field<NonNullGraphType<BooleanGraphType>>("valid").Description("No errors (warnings allowed).")
            .Resolve(c => !c.Source.FileRejected && c.Source.Problems.All(p => p.Level != ProblemLevel.Error));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("entityRefs").Description("Refs of the valid documents.")
            .Resolve(c => c.Source.Entities.Select(e => e.Ref.Canonical).ToList());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProblemGraphType>>>>("problems")
            .Description($"Each problem with its document index and field path: the first {CatalogLimits.MaxProblemsReported} (problemCount counts them all).")
            .Resolve(c => c.Source.Problems.Take(CatalogLimits.MaxProblemsReported));
        Field<NonNullGraphType<IntGraphType>>("problemCount").Description("How many problems there are, listed or not.")
            .Resolve(c => c.Source.Problems.Count);
    }
}
