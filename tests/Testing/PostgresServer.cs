using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Portal.Postgres;
using Portal.Postgres.Embedded;
using Portal.Postgres.Migrations;
using Testcontainers.PostgreSql;

namespace Portal.Testing;

/// <summary>
/// The one PostgreSQL server of a test run, and the migrated template database every test database is cloned from.
/// The server is, in order: the connection string in <c>PORTAL_TEST_POSTGRES</c>; a Testcontainers PostgreSQL when a
/// Docker engine answers; else a throwaway cluster from the machine's binaries (the embedded run's own code).
/// The template holds the migrations of the modules the test assembly declares (<see cref="PostgresServerLifetime"/>).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string TemplateDatabase = "portal_template";
    private static readonly SemaphoreSlim StartLock = new(1, 1);
    private static PostgresServer? _shared;
    private static Action<IHostApplicationBuilder>? _modules;

    private readonly SemaphoreSlim _createLock = new(1, 1);
    private readonly IAsyncDisposable? _owned;

    private PostgresServer(string serverConnectionString, IAsyncDisposable? owned)
    {
        ServerConnectionString = serverConnectionString;
        _owned = owned;
    }

    /// <summary>Connection string of the server's maintenance database (<c>postgres</c>).</summary>
    public string ServerConnectionString { get; }

    /// <summary>Where the server came from, for the test log.</summary>
    public string Source { get; private set; } = "";

    /// <summary>The embedded cluster, when the server is one (tests of the embedded lifecycle look at it).</summary>
    public EmbeddedPostgres? Embedded => _owned as EmbeddedPostgres;

    /// <summary>Registers the modules under test (<c>AddCatalog</c>, ...): their migrations make the template.</summary>
    public static Action<IHostApplicationBuilder> Modules =>
        _modules ?? throw new InvalidOperationException(
            "The test assembly declares no modules: add [assembly: AssemblyFixture(typeof(...))] with a PostgresServerLifetime that names them.");

    internal static void UseModules(Action<IHostApplicationBuilder> modules) => _modules = modules;

    public static async Task<PostgresServer> GetAsync()
    {
        await StartLock.WaitAsync();
        try
        {
            if (_shared is null)
            {
                var server = await StartServerAsync();
                await server.BuildTemplateAsync();
                _shared = server;
            }

            return _shared;
        }
        finally
        {
            StartLock.Release();
        }
    }

    /// <summary>A new database cloned from the migrated template; its name is unique in the run.</summary>
    public async Task<string> CreateDatabaseAsync(string hint)
    {
        var name = "t_" + new string(hint.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())
            + "_" + Guid.NewGuid().ToString("N")[..8];
        await _createLock.WaitAsync();
        try
        {
            await ExecuteAsync($"CREATE DATABASE \"{name}\" TEMPLATE \"{TemplateDatabase}\"");
        }
        finally
        {
            _createLock.Release();
        }

        return ConnectionStringFor(name);
    }

    /// <summary>A new, empty database (no migrations applied), for tests of the migrations themselves.</summary>
    public async Task<string> CreateEmptyDatabaseAsync(string hint)
    {
        var name = "e_" + new string(hint.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())
            + "_" + Guid.NewGuid().ToString("N")[..8];
        await ExecuteAsync($"CREATE DATABASE \"{name}\"");
        return ConnectionStringFor(name);
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = database }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        if (_owned is not null)
        {
            await _owned.DisposeAsync();
        }
    }

    /// <summary>Stops the run's server; called once by the assembly fixture when every test has finished.</summary>
    public static async Task StopSharedAsync()
    {
        if (_shared is { } server)
        {
            _shared = null;
            await server.DisposeAsync();
        }
    }

    private static async Task<PostgresServer> StartServerAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new PostgresServer(
                new NpgsqlConnectionStringBuilder(fromEnvironment) { Database = "postgres" }.ConnectionString, null)
            { Source = "PORTAL_TEST_POSTGRES" };
        }

        if (DockerMayAnswer())
        {
            try
            {
                var container = new PostgreSqlBuilder("postgres:15-alpine").Build();
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await container.StartAsync(timeout.Token);
                return new PostgresServer(
                    new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Database = "postgres" }.ConnectionString,
                    container)
                { Source = "Testcontainers" };
            }
#pragma warning disable CA1031 // Any Docker failure means "no usable engine": fall back to the local binaries.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        var root = Path.Combine(Path.GetTempPath(), "portal-test-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var embedded = await EmbeddedPostgres.StartAsync(root, temporary: true, _ => { });
        return new PostgresServer(
            new NpgsqlConnectionStringBuilder(embedded.ConnectionString) { Database = "postgres" }.ConnectionString, embedded)
        { Source = "local binaries" };
    }

    private static bool DockerMayAnswer() =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock");

    private async Task BuildTemplateAsync()
    {
        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{TemplateDatabase}\" WITH (FORCE)");
        await ExecuteAsync($"CREATE DATABASE \"{TemplateDatabase}\"");

        // The real migrations, through the modules' own registration: the template is what a fresh deployment's
        // database looks like.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration["ConnectionStrings:Portal"] = ConnectionStringFor(TemplateDatabase);
        builder.AddPortalPostgres();
        Modules(builder);
        using (var host = builder.Build())
        {
            await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        }

        // CREATE DATABASE ... TEMPLATE needs the template to have no open sessions.
        NpgsqlConnection.ClearAllPools();
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
