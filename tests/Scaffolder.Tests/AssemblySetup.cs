using Portal.Scaffolder.Tests;
using Portal.Testing;

// One PostgreSQL server for the whole run, its template migrated for the scaffolder; stopped after the last test.
[assembly: AssemblyFixture(typeof(ScaffolderTestServer))]

namespace Portal.Scaffolder.Tests;

/// <summary>The scaffolder, alone: what every <see cref="ModuleHost"/> of this assembly runs.</summary>
public sealed class ScaffolderTestServer() : PostgresServerLifetime(builder => builder.AddScaffolder());
