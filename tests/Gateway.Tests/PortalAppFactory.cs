using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Portal.Gateway.Tests;

/// <summary>
/// The gateway, hosted in-process against one test database, with the settings a test passes on top.
/// Migrations run at start-up exactly as in production (they are already applied on a cloned database).
/// <paramref name="services"/> plugs in implementations of the portal's extension seams (an authorizer, say).
/// </summary>
public sealed class PortalAppFactory(
    string connectionString,
    IReadOnlyDictionary<string, string?>? settings = null,
    string environment = "Development",
    Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public string ConnectionString { get; } = connectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("ConnectionStrings:Portal", ConnectionString);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }
}
