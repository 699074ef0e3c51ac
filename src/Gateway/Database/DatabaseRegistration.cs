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
            // Hosted services are all constructed before the first one starts, so a service that takes the data source
            // in its constructor can get here before PortalDatabase.StartAsync ran: start it now (once; later calls return).
            var database = services.GetRequiredService<PortalDatabase>();
            database.EnsureStartedAsync(CancellationToken.None).GetAwaiter().GetResult();
            // Hot queries repeat the same SQL text: let Npgsql prepare them after two uses (server-side plans, no re-parse).
            var connection = new NpgsqlConnectionStringBuilder(database.ConnectionString);
            connection.MaxAutoPrepare = connection.MaxAutoPrepare == 0 ? 256 : connection.MaxAutoPrepare;
            connection.AutoPrepareMinUsages = 2;
            var dataSource = new NpgsqlDataSourceBuilder(connection.ConnectionString);
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
