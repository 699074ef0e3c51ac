using GraphQL.Types;
using Portal.Gateway.GraphQL.Subscriptions;

namespace Portal.Gateway.GraphQL;

/// <summary>The portal's one GraphQL schema. Each module's types live in their own folder beside this file.</summary>
public sealed class PortalSchema : Schema
{
    public PortalSchema(IServiceProvider services, QueryType query, MutationType mutation, SubscriptionType subscription) : base(services)
    {
        Query = query;
        Mutation = mutation;
        Subscription = subscription;
        foreach (var kindType in Catalog.EntityGraphType.KindTypes)
        {
            RegisterType(kindType);
        }
    }
}

/// <summary>The root query type; module folders add their fields to it.</summary>
public sealed class QueryType : ObjectGraphType
{
    public QueryType()
    {
        Name = "Query";
        Field<NonNullGraphType<StringGraphType>>("version")
            .Description("The portal's build version.")
            .Resolve(_ => typeof(QueryType).Assembly.GetName().Version?.ToString() ?? "0.0.0");
        Catalog.CatalogQueryFields.AddTo(this);
    }
}

/// <summary>The root mutation type; module folders add their fields to it.</summary>
public sealed class MutationType : ObjectGraphType
{
    public MutationType()
    {
        Name = "Mutation";
        Catalog.CatalogMutationFields.AddTo(this);
    }
}
