using Npgsql;

namespace Portal.Gateway.Database;

public static class DatabaseRegistration
{
    /// <summary>
    /// Registers the portal's PostgreSQL: the start-up of an embedded cluster when no connection string is set, the
    /// migrator, and the one <see cref="NpgsqlDataSource"/> that every module's DbContext shares. Call it before any
    /// other hosted service is added, so the database starts first and stops last.
    /// </summary>
    public static IHostApplicationBuilder AddPortalDatabase(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<PortalDatabase>();
        builder.Services.AddHostedService(services => services.GetRequiredService<PortalDatabase>());
        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddSingleton(services =>
        {
            // Resolved only once the database has started (the first hosted service), never during registration.
            var database = services.GetRequiredService<PortalDatabase>();
            var dataSource = new NpgsqlDataSourceBuilder(database.ConnectionString);
            dataSource.EnableDynamicJson();
            return dataSource.Build();
        });
        return builder;
    }

    /// <summary>
    /// The <c>migrate</c> command: applies every module's migrations under the advisory lock and exits, for
    /// deployments that migrate in a Job before the rollout (with <c>Database:MigrateOnStartup=false</c> on the replicas).
    /// </summary>
    public static async Task<int> RunMigrationCommandAsync(this WebApplication app)
    {
        var database = app.Services.GetRequiredService<PortalDatabase>();
        try
        {
            await database.EnsureStartedAsync(CancellationToken.None);
            await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
            app.Logger.LogInformation("Migrations applied.");
            return 0;
        }
        finally
        {
            await database.DisposeAsync();
        }
    }
}
