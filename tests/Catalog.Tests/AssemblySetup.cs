using Portal.Catalog.Tests;
using Portal.Testing;

// One PostgreSQL server for the whole run, its template migrated for the catalog; stopped after the last test.
[assembly: AssemblyFixture(typeof(CatalogTestServer))]

namespace Portal.Catalog.Tests;

/// <summary>The catalog, alone: what every <see cref="ModuleHost"/> of this assembly runs.</summary>
public sealed class CatalogTestServer() : PostgresServerLifetime(builder => builder.AddCatalog());
