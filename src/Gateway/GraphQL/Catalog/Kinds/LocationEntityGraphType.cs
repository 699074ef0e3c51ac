namespace Portal.Gateway.GraphQL.Catalog.Kinds;

public sealed class LocationEntityGraphType : EntityGraphType
{
    public LocationEntityGraphType()
        : base("LocationEntity", "A Location entity: a pointer to more descriptors.")
    {
        SpecType();
        SpecString("target");
        SpecJson("targets");
    }
}
