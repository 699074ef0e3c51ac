using GraphQL.Types;
using Portal.Catalog.Queries;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>What every entity has, whatever its kind.</summary>
public sealed class EntityInterface : InterfaceGraphType<CatalogEntity>
{
    public EntityInterface()
    {
        Name = "Entity";
        Description = "A catalog entity in Backstage's descriptor format.";
        // Interfaces carry no resolvers: copy the shape of the common fields from an object type that has them.
        foreach (var field in new CommonFields().Fields)
        {
            AddField(new FieldType { Name = field.Name, Type = field.Type, Description = field.Description, Arguments = field.Arguments });
        }

        ResolveType = EntityGraphType.ResolverFor(this);
    }

    private sealed class CommonFields : ObjectGraphType<CatalogEntity>
    {
        public CommonFields() => EntityFields.AddCommon(this);
    }
}
