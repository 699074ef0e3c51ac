using System.Data.Common;
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
            if (!Sets(connection, "Maximum Pool Size"))
            {
                connection.MaxPoolSize = Math.Max(DefaultMaxPoolSize, connection.MinPoolSize);
            }

            // Npgsql resets a pooled connection's session state (seven statements) before its next use. The portal leaves
            // none behind: its locks and temporary tables end with their transaction, and it sets no session variables
            // (the migrator releases its session lock before its connection goes back). The reset was a third of
            // PostgreSQL's work on a catalog page.
            if (!Sets(connection, "No Reset On Close"))
            {
                connection.NoResetOnClose = true;
            }

            var dataSource = new NpgsqlDataSourceBuilder(connection.ConnectionString);
            dataSource.EnableDynamicJson();
            return dataSource.Build();
        });
        return builder;
    }

    /// <summary>
    /// Connections a replica opens at most, unless the connection string says (<c>Maximum Pool Size</c>). Npgsql's own
    /// default of 100 lets a burst of requests start a hundred queries at once; PostgreSQL then time-slices them and
    /// every one finishes late. A pool of about two per core keeps the server busy, and the rest of the burst waits its
    /// turn in the pool, which keeps the slowest requests close to the typical one. A small pool is safe because no
    /// request holds one connection while waiting for another (start-up migration does, alone, before serving), and
    /// catalog writes take a connection one at a time (CatalogWriteGate), so waiting writers never hold the pool.
    /// </summary>
    public static int DefaultMaxPoolSize => Math.Max(4, 2 * Environment.ProcessorCount);

    // Npgsql's builder reports every keyword it knows as present, so look at the keywords actually written; its own
    // string spells each one canonically, whichever synonym (MaxPoolSize, Maximum Pool Size) the operator used.
    private static bool Sets(NpgsqlConnectionStringBuilder connection, string keyword) =>
        new DbConnectionStringBuilder { ConnectionString = connection.ToString() }.ContainsKey(keyword);

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
