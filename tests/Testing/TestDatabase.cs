using Microsoft.Extensions.DependencyInjection;
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

/// <summary>A class fixture: the gateway running on the class's own database.</summary>
public class PortalApp : TestDatabase
{
    public PortalAppFactory Factory { get; private set; } = null!;

    /// <summary>Settings on top of the defaults, for fixtures that need another configuration.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        // Tests refresh on demand; a background refresh would race their assertions.
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
    };

    /// <summary>Plugs implementations of extension seams into the gateway (registered after its own).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>Resolves a service of the running gateway (a module's query or command service).</summary>
    public T Get<T>()
        where T : notnull => (T)Factory.Services.GetService(typeof(T))!;

    /// <summary>A client of the gateway over a real TCP connection (Kestrel on a free loopback port).</summary>
    public HttpClient CreateClient() => Factory.CreateClient();

    /// <summary>The gateway's base address, for clients other than HttpClient (WebSockets).</summary>
    public Uri BaseAddress => Factory.ClientOptions.BaseAddress;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Factory = new PortalAppFactory(ConnectionString, Settings, services: ConfigureServices);
        Factory.UseKestrel(0);
        Factory.StartServer();
    }

    public override async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The assembly fixture that stops the run's PostgreSQL once every test has finished.</summary>
public sealed class PostgresServerLifetime : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await PostgresServer.StopSharedAsync();
}
