using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Portal.Postgres.Migrations;

/// <summary>
/// Applies the pending EF Core migrations of every module that registered its DbContext
/// (<see cref="ModuleDatabaseRegistration.AddModuleDatabase{TContext}"/>), in registration order, holding a PostgreSQL
/// advisory lock for the whole run so that replicas starting together take turns instead of racing to create the same schema.
/// </summary>
public sealed class DatabaseMigrator(
    IServiceScopeFactory scopes, NpgsqlDataSource dataSource, IEnumerable<ModuleDatabase> modules, ILogger<DatabaseMigrator> logger)
{
    // An arbitrary constant shared by every portal process; it only has to differ from other advisory locks in the database.
    private const long MigrationLockKey = 0x706f7274616c; // "portal"

    /// <summary>The modules' contexts, in the order they are migrated.</summary>
    public IReadOnlyList<ModuleDatabase> Modules { get; } = [.. modules];

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
            foreach (var module in Modules)
            {
                await using var scope = scopes.CreateAsyncScope();
                var context = (DbContext)scope.ServiceProvider.GetRequiredService(module.ContextType);
                // Creating the history table first spares a fresh database EF Core's spurious "Failed executing
                // DbCommand" error when a module keeps its history in its own schema (npgsql/efcore.pg#3407).
                var createHistory = context.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
                await context.Database.ExecuteSqlRawAsync(createHistory, cancellationToken);

                // EF Core logs each migration it applies (category Microsoft.EntityFrameworkCore.Migrations).
                logger.LogDebug("Migrating {Context}", module.ContextType.Name);
                await context.Database.MigrateAsync(cancellationToken);
            }
        }
        finally
        {
            // The session lock is released before the connection goes back to the pool (the pool rule: no session state).
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", lockConnection);
            release.Parameters.AddWithValue("key", MigrationLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
