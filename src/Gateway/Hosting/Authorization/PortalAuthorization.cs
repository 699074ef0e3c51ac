using System.Security.Claims;

namespace Portal.Gateway.Hosting.Authorization;

/// <summary>How requests are authorized until real rules (JWT bearer, per-team ownership) plug in.</summary>
public enum AuthorizationMode
{
    /// <summary>Everything is allowed. Meant for a developer's machine; logged as a warning at start-up.</summary>
    Development,

    /// <summary>Reads are allowed; every write (mutation, REST write) is refused with FORBIDDEN.</summary>
    ReadOnly,
}

/// <summary>Settings of the <c>Auth</c> section.</summary>
public sealed class AuthorizationOptions
{
    public const string Section = "Auth";

    /// <summary>Unset: Development in the Development environment, ReadOnly everywhere else (deny by default).</summary>
    public AuthorizationMode? Mode { get; set; }
}

/// <summary>One thing a caller wants to do, whichever surface it arrives on.</summary>
/// <param name="User">Who asks; null or anonymous when nobody signed in.</param>
/// <param name="Resource">The operation (<see cref="CatalogOperations"/>: <c>catalog.locations.register</c>, ...); a
/// GraphQL root field that names no operation is asked about as <c>Type.field</c>.</param>
/// <param name="IsWrite">Whether it changes anything (a dry run does not).</param>
public sealed record AccessRequest(ClaimsPrincipal? User, string Resource, bool IsWrite);

/// <summary>
/// The one check point every GraphQL field and REST route goes through before anything runs. Later rules (roles,
/// ownership) replace this service; callers stay as they are.
/// </summary>
public interface IPortalAuthorizer
{
    /// <summary>Null when allowed; otherwise why not, in words a caller can act on.</summary>
    string? Deny(AccessRequest request);
}

internal sealed class ModeAuthorizer(AuthorizationMode mode) : IPortalAuthorizer
{
    public AuthorizationMode Mode { get; } = mode;

    public string? Deny(AccessRequest request) => Mode switch
    {
        AuthorizationMode.Development => null,
        _ when !request.IsWrite => null,
        _ => $"{request.Resource} changes the catalog, and this server is read-only (Auth:Mode=ReadOnly): writes need an authorization rule that allows them.",
    };
}

public static class AuthorizationRegistration
{
    public static IHostApplicationBuilder AddPortalAuthorization(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AuthorizationOptions.Section).Get<AuthorizationOptions>() ?? new AuthorizationOptions();
        var mode = options.Mode ?? (builder.Environment.IsDevelopment() ? AuthorizationMode.Development : AuthorizationMode.ReadOnly);
        builder.Services.AddSingleton(new ModeAuthorizer(mode));
        builder.Services.AddSingleton<IPortalAuthorizer>(services => services.GetRequiredService<ModeAuthorizer>());
        return builder;
    }

    /// <summary>Says loudly which mode is on: an open server must never be a surprise.</summary>
    public static void LogAuthorizationMode(this WebApplication app)
    {
        var authorizer = app.Services.GetRequiredService<ModeAuthorizer>();
        if (authorizer.Mode == AuthorizationMode.Development)
        {
            app.Logger.LogWarning("Authorization: development mode, every request is allowed, writes included. Set Auth:Mode=ReadOnly (the default outside Development) on a shared server.");
        }
        else
        {
            app.Logger.LogInformation("Authorization: read-only mode, writes are refused until an authorization rule allows them.");
        }
    }
}
