using Portal.Testing;

// One PostgreSQL server for the whole run; stopped after the last test of this assembly.
[assembly: AssemblyFixture(typeof(PostgresServerLifetime))]
