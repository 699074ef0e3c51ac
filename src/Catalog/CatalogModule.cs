using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Portal.Catalog.Persistence;

namespace Portal.Catalog;

/// <summary>Registers the catalog module: its options, database and health check.</summary>
public static class CatalogModule
{
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogOptions>()
            .BindConfiguration(CatalogOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The host registers the one NpgsqlDataSource (embedded or external PostgreSQL) that every module shares.
        builder.Services.AddDbContextPool<CatalogDbContext>((services, options) => options.UseNpgsql(
            services.GetRequiredService<NpgsqlDataSource>(),
            npgsql =>
            npgsql.MigrationsHistoryTable("__EFMigrationsHistory", CatalogDbContext.Schema)));

        builder.Services.AddHealthChecks().AddDbContextCheck<CatalogDbContext>(
            "catalog-database",
            tags: ["ready"],
            customTestQuery: async (db, cancellationToken) => !(await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any());

        return builder;
    }
}
