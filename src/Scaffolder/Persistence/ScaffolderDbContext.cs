using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Portal.Postgres.Migrations;

namespace Portal.Scaffolder.Persistence;

/// <summary>The scaffolder's tables, all in the PostgreSQL schema <c>scaffolder</c>.</summary>
/// <remarks>
/// New migration: <c>dotnet ef migrations add NAME --project src/Scaffolder --startup-project src/Gateway
/// --context ScaffolderDbContext --output-dir Persistence/Migrations</c>.
/// </remarks>
public sealed class ScaffolderDbContext(DbContextOptions<ScaffolderDbContext> options) : DbContext(options)
{
    public const string Schema = "scaffolder";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
    }
}

/// <summary>The context <c>dotnet ef</c> builds the model with, on a connection string that is never opened.</summary>
internal sealed class ScaffolderDesignTimeContext : IDesignTimeDbContextFactory<ScaffolderDbContext>
{
    public ScaffolderDbContext CreateDbContext(string[] args) => new(ModuleDatabaseRegistration.DesignTimeOptions<ScaffolderDbContext>(ScaffolderDbContext.Schema));
}
