using GraphQL.Execution;

namespace Portal.Gateway.GraphQL.Subscriptions;

/// <summary>
/// Subscriptions execute each event with the serial strategy, as queries do, instead of GraphQL.NET's default parallel
/// one: an event's resolvers then never read one entity at the same time (its descriptor is parsed lazily into a
/// <c>JsonObject</c>, which is not safe for concurrent first reads), and the entity loader batches level by level.
/// </summary>
internal sealed class SerialSubscriptionExecutionStrategy() : SubscriptionExecutionStrategy(new SerialExecutionStrategy());
