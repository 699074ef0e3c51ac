using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Portal.Catalog.Persistence;
using Portal.Scaffolder.Persistence;

namespace Portal.Gateway.Database;

// `dotnet ef migrations add` builds the model only; it must not start the embedded PostgreSQL that the running
// host would. These factories give it contexts on a connection string that is never opened.
internal sealed class CatalogDesignTimeContext : IDesignTimeDbContextFactory<CatalogDbContext>
{
    public CatalogDbContext CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<CatalogDbContext>()
        .UseNpgsql("Host=design-time", npgsql => npgsql.MigrationsHistoryTable("__EFMigrationsHistory", CatalogDbContext.Schema))
        .Options);
}

internal sealed class ScaffolderDesignTimeContext : IDesignTimeDbContextFactory<ScaffolderDbContext>
{
    public ScaffolderDbContext CreateDbContext(string[] args) => new(new DbContextOptionsBuilder<ScaffolderDbContext>()
        .UseNpgsql("Host=design-time", npgsql => npgsql.MigrationsHistoryTable("__EFMigrationsHistory", ScaffolderDbContext.Schema))
        .Options);
}
