using Microsoft.EntityFrameworkCore;

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
