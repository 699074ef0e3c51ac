using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Portal.Postgres.Migrations;
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
        builder.Services.AddModuleDatabase<ScaffolderDbContext>(ScaffolderDbContext.Schema);
        return builder;
    }
}
