using Microsoft.EntityFrameworkCore;

namespace Portal.Catalog.Persistence;

/// <summary>The catalog's tables, all in the PostgreSQL schema <c>catalog</c>.</summary>
/// <remarks>
/// New migration: <c>dotnet ef migrations add NAME --project src/Catalog --startup-project src/Gateway
/// --context CatalogDbContext --output-dir Persistence/Migrations</c>.
/// </remarks>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options)
{
    public const string Schema = "catalog";

    internal DbSet<EntityRow> Entities => Set<EntityRow>();

    internal DbSet<RelationRow> Relations => Set<RelationRow>();

    internal DbSet<LocationRow> Locations => Set<LocationRow>();

    internal DbSet<HistoryRow> History => Set<HistoryRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.HasPostgresExtension("pg_trgm");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CatalogDbContext).Assembly);
    }
}
