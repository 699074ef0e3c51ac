using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Catalog.Persistence;
using Portal.Scaffolder.Persistence;

namespace Portal.Gateway.Database;

/// <summary>
/// Applies every module's pending EF Core migrations, holding a PostgreSQL advisory lock for the whole run so that
/// replicas starting together take turns instead of racing to create the same schema.
/// </summary>
public sealed class DatabaseMigrator(IServiceScopeFactory scopes, NpgsqlDataSource dataSource, ILogger<DatabaseMigrator> logger)
{
    // An arbitrary constant shared by every portal process; it only has to differ from other advisory locks in the database.
    private const long MigrationLockKey = 0x706f7274616c; // "portal"

    private static readonly Type[] ModuleContexts = [typeof(CatalogDbContext), typeof(ScaffolderDbContext)];

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var acquire = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", lockConnection))
        {
            acquire.Parameters.AddWithValue("key", MigrationLockKey);
            await acquire.ExecuteNonQueryAsync(cancellationToken);
        }

        try
        {
            foreach (var contextType in ModuleContexts)
            {
                await using var scope = scopes.CreateAsyncScope();
                var context = (DbContext)scope.ServiceProvider.GetRequiredService(contextType);
                var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
                if (pending.Count > 0)
                {
                    logger.LogInformation("Applying {Count} migration(s) to {Context}: {Migrations}", pending.Count, contextType.Name, pending);
                    await context.Database.MigrateAsync(cancellationToken);
                }
            }
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", lockConnection);
            release.Parameters.AddWithValue("key", MigrationLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
