using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Portal.Postgres.Health;

namespace Portal.Postgres.Migrations;

/// <summary>A module's DbContext and the PostgreSQL schema its tables (and its migration history) live in.</summary>
public sealed record ModuleDatabase(Type ContextType, string Schema);

public static partial class ModuleDatabaseRegistration
{
    /// <summary>
    /// Registers a module's DbContext on the shared data source, with its migration history in the module's own
    /// schema, its migrations for <see cref="DatabaseMigrator"/>, and a readiness check (<c>{schema}-database</c>, tag
    /// <c>ready</c>) that fails while a migration is pending or the database does not answer (<see cref="ModuleDatabaseCheck{TContext}"/>).
    /// </summary>
    public static IServiceCollection AddModuleDatabase<TContext>(this IServiceCollection services, string schema)
        where TContext : DbContext
    {
        RequireSchemaName(schema);
        services.AddDbContextPool<TContext>((provider, options) => options.UseNpgsql(
            provider.GetRequiredService<NpgsqlDataSource>(),
            npgsql => npgsql.MigrationsHistoryTable(HistoryTable, schema)));
        services.AddSingleton(new ModuleDatabase(typeof(TContext), schema));
        services.TryAddSingleton<ProbeConnection>();
        services.AddSingleton<ModuleDatabaseCheck<TContext>>(); // one instance: it remembers the migrations it has seen applied
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"{schema}-database",
            provider => provider.GetRequiredService<ModuleDatabaseCheck<TContext>>(),
            failureStatus: null,
            tags: ["ready"]));
        return services;
    }

    /// <summary>
    /// Options for a module's design-time context factory: <c>dotnet ef</c> builds the model only, and must not start
    /// the embedded PostgreSQL that the running host would, so the connection string is never opened.
    /// </summary>
    public static DbContextOptions<TContext> DesignTimeOptions<TContext>(string schema)
        where TContext : DbContext => new DbContextOptionsBuilder<TContext>()
        .UseNpgsql("Host=design-time", npgsql => npgsql.MigrationsHistoryTable(HistoryTable, schema))
        .Options;

    /// <summary>
    /// Refuses a schema name that is not a plain lower-case identifier: module tables are named into SQL text
    /// (<c>{schema}.outbox</c>), so nothing there may end one name and start another.
    /// </summary>
    internal static void RequireSchemaName(string schema)
    {
        if (!SchemaName().IsMatch(schema))
        {
            throw new ArgumentException($"'{schema}' is not a plain lower-case schema name.", nameof(schema));
        }
    }

    private const string HistoryTable = "__EFMigrationsHistory";

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();
}
