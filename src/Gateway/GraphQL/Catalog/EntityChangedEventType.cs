using GraphQL.Types;
using Portal.Contracts.Catalog;
using Portal.Gateway.GraphQL.Execution;

namespace Portal.Gateway.GraphQL.Catalog;

/// <summary>One change of <c>Subscription.entityChanged</c>.</summary>
public sealed class EntityChangedEventType : ObjectGraphType<CatalogChange>
{
    public EntityChangedEventType()
    {
        Name = "EntityChangedEvent";
        Description = "A catalog entity changed.";
        Field<NonNullGraphType<EntityChangeKindType>>("change").Resolve(c => c.Source.Change);
        Field<NonNullGraphType<StringGraphType>>("ref").Description("The entity reference, kind:namespace/name, lower-case.").Resolve(c => c.Source.Ref);
        Field<NonNullGraphType<LongGraphType>>("catalogVersion")
            .Description("The catalog's version once the change committed; later changes have larger versions.")
            .Resolve(c => c.Source.CatalogVersion);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").Description("When the change was made.").Resolve(c => c.Source.At);
        Field<EntityInterface>("entity")
            .Description("The entity as it is now, read when the event is sent; null once it is deleted.")
            .Resolve(c =>
            {
                c.Portal().StartEvent();
                return c.Portal().Entities.Load(c.Source.Ref, EntitySelection.PartsFor(c));
            });
    }
}

public sealed class EntityChangeKindType : EnumerationGraphType
{
    public EntityChangeKindType()
    {
        Name = "EntityChangeKind";
        Add("CREATED", EntityChange.Created, "The entity is new in the catalog.");
        Add("UPDATED", EntityChange.Updated, "The entity's descriptor, relations or status changed.");
        Add("DELETED", EntityChange.Deleted, "The entity left the catalog.");
        Add("ORPHANED", EntityChange.Orphaned, "Its location no longer emits it; it is kept, marked as an orphan.");
    }
}
