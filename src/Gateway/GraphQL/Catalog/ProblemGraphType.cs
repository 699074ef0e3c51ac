using GraphQL.Types;
using Portal.Catalog.Model;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class ProblemGraphType : ObjectGraphType<CatalogProblem>
{
    public ProblemGraphType()
    {
        Name = "Problem";
        Description = "An error or warning about a descriptor, naming the file, document and field.";
        Field<NonNullGraphType<StringGraphType>>("level").Resolve(c => c.Source.Level == ProblemLevel.Error ? "error" : "warning");
        Field<NonNullGraphType<StringGraphType>>("source").Description("The file or location target.").Resolve(c => c.Source.Source);
        Field<IntGraphType>("document").Description("1-based index of the document in the file.").Resolve(c => c.Source.Document);
        Field<StringGraphType>("field").Description("The field path, e.g. metadata.name or spec.dependsOn[0].").Resolve(c => c.Source.Field);
        Field<NonNullGraphType<StringGraphType>>("message").Resolve(c => c.Source.Message);
    }
}
