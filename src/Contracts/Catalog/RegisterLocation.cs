namespace Portal.Contracts.Catalog;

/// <summary>
/// A command to the catalog: register this location and ingest it, as <c>POST /api/catalog/locations</c> does (the
/// scaffolder sends it for the repository it created). The catalog applies it once per message id, however often it
/// is delivered, and answers with <see cref="LocationRegistered"/> or <see cref="LocationRegistrationFailed"/>, which
/// carry this message's id as <c>CommandId</c>.
/// </summary>
/// <param name="Type">The location type: <c>file</c>, <c>url</c> or <c>git</c>.</param>
/// <param name="Target">The location target, as the REST API takes it.</param>
/// <param name="RequestedBy">Who asked (a user or service ref), for the entities' history; null for the sender itself.</param>
public sealed record RegisterLocation(string Type, string Target, string? RequestedBy = null);

/// <summary>The location a <see cref="RegisterLocation"/> named is registered: now, or already before it.</summary>
/// <param name="CommandId">The message id of the <see cref="RegisterLocation"/> this answers.</param>
/// <param name="LocationId">The registered location's id.</param>
/// <param name="Type">Its type.</param>
/// <param name="Target">Its target, normalised as the catalog stores it.</param>
/// <param name="EntityRefs">The refs of the entities it holds, canonical and lower-case.</param>
/// <param name="AlreadyRegistered">The target was registered before the command arrived; nothing was ingested anew.</param>
public sealed record LocationRegistered(
    Guid CommandId, Guid LocationId, string Type, string Target, IReadOnlyList<string> EntityRefs, bool AlreadyRegistered);

/// <summary>The location a <see cref="RegisterLocation"/> named cannot be registered: refused, or unreadable.</summary>
/// <param name="CommandId">The message id of the <see cref="RegisterLocation"/> this answers.</param>
/// <param name="Type">The type the command named.</param>
/// <param name="Target">The target the command named.</param>
/// <param name="Reason">What is wrong, as the REST API would say it.</param>
public sealed record LocationRegistrationFailed(Guid CommandId, string Type, string Target, string Reason);
