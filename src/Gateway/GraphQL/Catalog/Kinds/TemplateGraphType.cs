namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class TemplateGraphType : EntityGraphType
{
    public TemplateGraphType()
        : base("Template", "A scaffolder template.")
    {
        SpecType();
        Owner();
        SpecJson("parameters");
        SpecJson("steps");
    }
}
