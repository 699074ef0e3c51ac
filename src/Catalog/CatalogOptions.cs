namespace Portal.Catalog;

/// <summary>Settings of the catalog, bound from the <c>Catalog</c> configuration section.</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";
}
