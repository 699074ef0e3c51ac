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

    // Waiting for another replica's migration, and a migration itself (an index on a large table), may take far longer
    // than the statement_timeout the portal's connections carry for requests (DatabaseOptions.StatementTimeout).
    private const string NoStatementTimeout = "SET statement_timeout = 0";

    // Back to the value the connection opened with; the pool rule: no session state on a pooled connection.
    private const string ConnectionStatementTimeout = "RESET statement_timeout";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var acquire = new NpgsqlCommand($"{NoStatementTimeout}; SELECT pg_advisory_lock(@key)", lockConnection))
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

                // Open for the whole module, so that every statement of its migrations runs on the connection that
                // has no statement timeout.
                await context.Database.OpenConnectionAsync(cancellationToken);
                try
                {
                    await context.Database.ExecuteSqlRawAsync(NoStatementTimeout, cancellationToken);

                    // Creating the history table first spares a fresh database EF Core's spurious "Failed executing
                    // DbCommand" error when a module keeps its history in its own schema (npgsql/efcore.pg#3407).
                    var createHistory = context.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
                    await context.Database.ExecuteSqlRawAsync(createHistory, cancellationToken);

                    // EF Core logs each migration it applies (category Microsoft.EntityFrameworkCore.Migrations).
                    logger.LogDebug("Migrating {Context}", module.ContextType.Name);
                    await context.Database.MigrateAsync(cancellationToken);
                }
                finally
                {
                    await RestoreAsync((NpgsqlConnection)context.Database.GetDbConnection());
                    await context.Database.CloseConnectionAsync();
                }
            }
        }
        finally
        {
            // The session lock is released before the connection goes back to the pool (the pool rule: no session state).
            await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", lockConnection))
            {
                release.Parameters.AddWithValue("key", MigrationLockKey);
                await release.ExecuteNonQueryAsync(CancellationToken.None);
            }

            await RestoreAsync(lockConnection);
        }
    }

    /// <summary>
    /// Gives the connection its own statement timeout back before the pool hands it to a request. If that fails on a
    /// connection that is still open, the pool is cleared, so the connection is closed rather than reused without a limit.
    /// </summary>
    private static async Task RestoreAsync(NpgsqlConnection connection)
    {
        try
        {
            await using var reset = new NpgsqlCommand(ConnectionStatementTimeout, connection);
            await reset.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is NpgsqlException or InvalidOperationException)
        {
            NpgsqlConnection.ClearPool(connection);
        }
    }
}
