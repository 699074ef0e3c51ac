using Portal.Catalog.Model;

namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class DomainGraphType : EntityGraphType
{
    public DomainGraphType()
        : base("Domain", "A business area grouping systems.")
    {
        SpecType();
        Owner();
        One("domain", RelationTypes.PartOf, "domain", "spec.subdomainOf");
        Many("partOf", RelationTypes.PartOf, null, "Parent domains.");
        Many("hasPart", RelationTypes.HasPart, null, "Systems and subdomains of this domain.");
    }
}
