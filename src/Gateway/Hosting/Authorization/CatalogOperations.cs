namespace Portal.Gateway.Hosting.Authorization;

/// <summary>
/// The catalog's operations as the authorizer sees them (<see cref="AccessRequest.Resource"/>): one name per operation,
/// whichever surface it arrives on, so a rule names an operation once (denying <see cref="LocationsRegister"/> refuses
/// <c>POST /api/catalog/locations</c> and the <c>registerLocation</c> mutation alike).
/// </summary>
public static class CatalogOperations
{
    /// <summary>Reading entities: by ref or uid, pages, batches, facets, relations, history, and watching changes.</summary>
    public const string EntitiesRead = "catalog.entities.read";

    /// <summary>Checking descriptors without storing anything.</summary>
    public const string EntitiesValidate = "catalog.entities.validate";

    /// <summary>Creating or replacing an API-managed entity.</summary>
    public const string EntitiesUpsert = "catalog.entities.upsert";

    /// <summary>Deleting an entity.</summary>
    public const string EntitiesDelete = "catalog.entities.delete";

    /// <summary>Reading an entity's location again.</summary>
    public const string EntitiesRefresh = "catalog.entities.refresh";

    /// <summary>Reading registered locations.</summary>
    public const string LocationsRead = "catalog.locations.read";

    /// <summary>Registering a location (its dry run stores nothing and is not a write).</summary>
    public const string LocationsRegister = "catalog.locations.register";

    /// <summary>Reading a location again.</summary>
    public const string LocationsRefresh = "catalog.locations.refresh";

    /// <summary>Removing a location and its entities.</summary>
    public const string LocationsUnregister = "catalog.locations.unregister";
}
