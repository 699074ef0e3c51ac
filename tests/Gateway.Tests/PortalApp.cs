using Microsoft.Extensions.DependencyInjection;
using Portal.Testing;

namespace Portal.Gateway.Tests;

/// <summary>A class fixture: the gateway running on the class's own database, over a real TCP connection.</summary>
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
