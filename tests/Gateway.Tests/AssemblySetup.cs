using Portal.Catalog;
using Portal.Gateway.Tests;
using Portal.Scaffolder;
using Portal.Testing;

// One PostgreSQL server for the whole run, its template migrated for every module the gateway hosts; stopped after the last test.
[assembly: AssemblyFixture(typeof(GatewayTestServer))]

namespace Portal.Gateway.Tests;

/// <summary>The modules the gateway hosts, whose migrations the template holds.</summary>
public sealed class GatewayTestServer() : PostgresServerLifetime(builder =>
{
    builder.AddCatalog();
    builder.AddScaffolder();
});
