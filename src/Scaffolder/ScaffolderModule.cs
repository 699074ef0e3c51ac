using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Portal.Scaffolder.Persistence;

namespace Portal.Scaffolder;

/// <summary>Registers the scaffolder module: its options, database and health check.</summary>
public static class ScaffolderModule
{
    public static IHostApplicationBuilder AddScaffolder(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ScaffolderOptions>()
            .BindConfiguration(ScaffolderOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The host registers the one NpgsqlDataSource (embedded or external PostgreSQL) that every module shares.
        builder.Services.AddDbContextPool<ScaffolderDbContext>((services, options) => options.UseNpgsql(
            services.GetRequiredService<NpgsqlDataSource>(),
            npgsql =>
            npgsql.MigrationsHistoryTable("__EFMigrationsHistory", ScaffolderDbContext.Schema)));

        builder.Services.AddHealthChecks().AddDbContextCheck<ScaffolderDbContext>(
            "scaffolder-database",
            tags: ["ready"],
            customTestQuery: async (db, cancellationToken) => !(await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any());

        return builder;
    }
}
