using GraphQL.Types;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class EntityOrderInput
{
    public string Field { get; set; } = "";

    public SortDirection Direction { get; set; }
}

public sealed class EntityOrderInputType : InputObjectGraphType<EntityOrderInput>
{
    public EntityOrderInputType()
    {
        Name = "EntityOrderInput";
        Field(o => o.Field).Description("A dot path, e.g. metadata.name, spec.lifecycle.");
        Field(o => o.Direction, type: typeof(SortDirectionGraphType)).DefaultValue(SortDirection.Asc);
    }
}
