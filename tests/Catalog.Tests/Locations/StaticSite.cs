using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Portal.Catalog.Tests.Locations;

/// <summary>A real HTTP server on a loopback port that serves what a test puts in it: files, redirects, delays.</summary>
internal sealed class StaticSite : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, Func<HttpContext, Task>> _routes = new(StringComparer.Ordinal);

    private StaticSite(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<StaticSite> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var site = new StaticSite(app);
        app.Run(async context =>
        {
            if (site._routes.TryGetValue(context.Request.Path.Value ?? "", out var handler))
            {
                await handler(context);
            }
            else
            {
                context.Response.StatusCode = 404;
            }
        });
        await app.StartAsync();
        site.BaseUrl = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");
        return site;
    }

    public string Serve(string path, string content)
    {
        _routes[path] = context => context.Response.WriteAsync(content);
        return BaseUrl + path;
    }

    public string Redirect(string path, string location)
    {
        _routes[path] = context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = location;
            return Task.CompletedTask;
        };
        return BaseUrl + path;
    }

    public string Hang(string path, TimeSpan delay)
    {
        _routes[path] = async context =>
        {
            await Task.Delay(delay, context.RequestAborted);
            await context.Response.WriteAsync("too late");
        };
        return BaseUrl + path;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
