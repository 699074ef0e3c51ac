using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Postgres;
using Xunit;

namespace Portal.Testing;

/// <summary>
/// A class fixture: the test class's own database, cloned from the migrated template, so classes run in parallel
/// without seeing each other's rows. Dropped when the class is done.
/// </summary>
public class TestDatabase : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    public virtual async ValueTask InitializeAsync()
    {
        Server = await PostgresServer.GetAsync();
        ConnectionString = await Server.CreateDatabaseAsync(GetType().Name);
    }

    public virtual async ValueTask DisposeAsync()
    {
        await Server.DropDatabaseAsync(ConnectionString);
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// A class fixture: the modules under test (those the assembly declares) in a plain host on the class's own database:
/// the shared data source, the modules' registrations and their hosted services, and no gateway, GraphQL or bus.
/// </summary>
public class ModuleHost : TestDatabase
{
    public IHost Host { get; private set; } = null!;

    /// <summary>Settings on top of the defaults, for fixtures that need another configuration.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        // Tests refresh on demand; a background refresh would race their assertions.
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
    };

    /// <summary>Plugs implementations of extension seams into the host (registered after the modules' own).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>Resolves a service of the running host (a module's query or command service).</summary>
    public T Get<T>()
        where T : notnull => Host.Services.GetRequiredService<T>();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Host = Build(ConnectionString, Settings, ConfigureServices);
        await Host.StartAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>A host of the assembly's modules on a database, not started.</summary>
    public static IHost Build(
        string connectionString, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        // The environment is chosen as the host is made: a fixture names it with the setting "environment", as the
        // gateway's command line does.
        var environment = settings?.GetValueOrDefault("environment") ?? "Development";
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment });
        builder.Configuration["ConnectionStrings:Portal"] = connectionString;
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.AddPortalPostgres();
        PostgresServer.Modules(builder);
        services?.Invoke(builder.Services);
        return builder.Build();
    }
}

/// <summary>
/// The assembly fixture that names the modules a test assembly tests (their migrations make the template database)
/// and stops the run's PostgreSQL once every test has finished. Each test assembly derives one and declares it with
/// <c>[assembly: AssemblyFixture(typeof(...))]</c>.
/// </summary>
public abstract class PostgresServerLifetime : IAsyncDisposable
{
    protected PostgresServerLifetime(Action<IHostApplicationBuilder> modules) => PostgresServer.UseModules(modules);

    public async ValueTask DisposeAsync()
    {
        await PostgresServer.StopSharedAsync();
        GC.SuppressFinalize(this);
    }
}
