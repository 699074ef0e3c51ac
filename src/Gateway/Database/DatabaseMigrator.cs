using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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
                // Creating the history table first spares a fresh database EF Core's spurious "Failed executing
                // DbCommand" error when a module keeps its history in its own schema (npgsql/efcore.pg#3407).
                var createHistory = context.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
                await context.Database.ExecuteSqlRawAsync(createHistory, cancellationToken);

                // EF Core logs each migration it applies (category Microsoft.EntityFrameworkCore.Migrations).
                logger.LogDebug("Migrating {Context}", contextType.Name);
                await context.Database.MigrateAsync(cancellationToken);
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
