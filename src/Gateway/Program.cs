using Portal.Catalog;
using Portal.Gateway.Backstage.Catalog;
using Portal.Gateway.Failures;
using Portal.Gateway.GraphQL;
using Portal.Gateway.GraphQL.Catalog;
using Portal.Gateway.Hosting;
using Portal.Gateway.Hosting.Authorization;
using Portal.Gateway.Hosting.Health;
using Portal.Gateway.Hosting.Load;
using Portal.Gateway.Hosting.Telemetry;
using Portal.Gateway.Messaging;
using Portal.Postgres;
using Portal.Postgres.Embedded;
using Portal.Scaffolder;

var builder = PortalHost.CreateBuilder(args);

builder.AddPortalPostgres();
builder.AddPortalAuthorization();
builder.AddCatalog();
builder.AddScaffolder();
builder.AddPortalBus(bus =>
{
    bus.AddCatalogConsumers();
    bus.AddCatalogChangeFeed();
});
builder.AddPortalGraph();
builder.AddPortalTelemetry();
builder.AddPortalLoadShedding();
builder.CheckBackstageApiSettings();

// Disposing the app also stops an embedded PostgreSQL, whatever way the host ended.
await using var app = builder.Build();

app.LogAuthorizationMode();
app.UsePortalErrorBodies();
app.UseWebSockets();
app.UsePortalLoadShedding();
app.MapPortalHealth();
app.MapPortalGraph();
app.MapPortalTelemetry();
app.MapBackstageCatalogApi();

try
{
    if (args.Contains("migrate"))
    {
        await app.Services.RunMigrationCommandAsync();
        app.Logger.LogInformation("Migrations applied.");
        return 0;
    }

    app.Lifetime.ApplicationStarted.Register(() =>
        app.Logger.LogInformation("Portal is listening on {Urls} (environment {Environment})", string.Join(", ", app.Urls), app.Environment.EnvironmentName));
    await app.RunAsync();
    return 0;
}
catch (EmbeddedPostgresException exception)
{
    // One line that says what to do, not a stack trace.
    await Console.Error.WriteLineAsync(exception.Message);
    return 1;
}

/// <summary>The gateway's entry point; public so that tests can host it with WebApplicationFactory.</summary>
public partial class Program;
