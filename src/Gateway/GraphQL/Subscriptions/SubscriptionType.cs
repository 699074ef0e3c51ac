using GraphQL.Types;

namespace Portal.Gateway.GraphQL.Subscriptions;

/// <summary>
/// The root subscription type: live streams, served over WebSocket (graphql-transport-ws). Module folders add their
/// fields to it, each fed by a <see cref="ChangeFeed{TChange, TFilter}"/> and streamed by a <see cref="ChangeStream{TChange}"/>.
/// </summary>
public sealed class SubscriptionType : ObjectGraphType
{
    public SubscriptionType()
    {
        Name = "Subscription";
        Catalog.CatalogSubscriptionFields.AddTo(this);
    }
}
