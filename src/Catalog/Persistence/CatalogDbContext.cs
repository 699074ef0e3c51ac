using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Portal.Postgres.Inbox;
using Portal.Postgres.Migrations;
using Portal.Postgres.Outbox;

namespace Portal.Catalog.Persistence;

/// <summary>
/// The catalog's tables, all in the PostgreSQL schema <c>catalog</c>. The model is there for the migrations: the
/// catalog reads and writes its tables with plain SQL (<c>Persistence/Writes</c> and <c>Queries</c>), so it has no DbSets.
/// </summary>
/// <remarks>
/// New migration: <c>dotnet ef migrations add NAME --project src/Catalog --startup-project src/Gateway
/// --context CatalogDbContext --output-dir Persistence/Migrations</c>.
/// </remarks>
public sealed class CatalogDbContext(DbContextOptions<CatalogDbContext> options) : DbContext(options)
{
    public const string Schema = "catalog";

    /// <summary>The catalog's outbox: <see cref="Portal.Contracts.Catalog"/> messages, written with the change they announce.</summary>
    internal static readonly OutboxTable Outbox = new(Schema);

    /// <summary>The messages the catalog's consumers have applied.</summary>
    internal static readonly InboxTable Inbox = new(Schema);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.HasPostgresExtension("pg_trgm");
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(CatalogDbContext).Assembly);
        modelBuilder.AddOutbox();
        modelBuilder.AddInbox();
    }
}

/// <summary>The context <c>dotnet ef</c> builds the model with, on a connection string that is never opened.</summary>
internal sealed class CatalogDesignTimeContext : IDesignTimeDbContextFactory<CatalogDbContext>
{
    public CatalogDbContext CreateDbContext(string[] args) => new(ModuleDatabaseRegistration.DesignTimeOptions<CatalogDbContext>(CatalogDbContext.Schema));
}
