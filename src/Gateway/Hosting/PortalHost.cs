namespace Portal.Gateway.Hosting;

/// <summary>How the gateway's host is created.</summary>
public static class PortalHost
{
    /// <summary>
    /// A web application builder whose content root is the gateway's own folder, so a published gateway started from
    /// anywhere (<c>dotnet /opt/portal/Portal.Gateway.dll</c>, a service manager's working folder) reads the
    /// <c>appsettings.json</c> beside it: ASP.NET Core's default is the working folder, where there is none, and the
    /// documented defaults (listening address, log levels) silently did not apply. A content root given explicitly
    /// (<c>--contentRoot</c>, <c>ASPNETCORE_CONTENTROOT</c>, <c>DOTNET_CONTENTROOT</c>; the test host sets one) wins.
    /// Relative paths in settings (<c>Database:DataDirectory</c>) still resolve against the working folder.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var given = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()[HostDefaults.ContentRootKey];
        return WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = string.IsNullOrEmpty(given) ? AppContext.BaseDirectory : null,
        });
    }
}
