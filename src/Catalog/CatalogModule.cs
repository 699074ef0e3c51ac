using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Catalog.Entities;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Ingestion.Processors;
using Portal.Catalog.Locations;
using Portal.Catalog.Messaging;
using Portal.Catalog.Persistence;
using Portal.Catalog.Persistence.Writes;
using Portal.Catalog.Queries;
using Portal.Postgres.Inbox;
using Portal.Postgres.Migrations;
using Portal.Postgres.Outbox;

namespace Portal.Catalog;

/// <summary>Registers the catalog module: options, database, processors, location readers, services and health check.</summary>
public static class CatalogModule
{
    public static IHostApplicationBuilder AddCatalog(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogOptions>()
            .BindConfiguration(CatalogOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // On the one NpgsqlDataSource (embedded or external PostgreSQL) that every module shares (AddPortalPostgres).
        builder.Services.AddModuleDatabase<CatalogDbContext>(CatalogDbContext.Schema);
        builder.Services.AddOutbox(CatalogDbContext.Outbox);
        builder.Services.AddInbox(CatalogDbContext.Inbox);

        // Our own envelope and kind validation go through the same seam as a plugin's processor.
        builder.Services.AddCatalogProcessor<EnvelopeProcessor>();
        builder.Services.AddCatalogProcessor<BuiltinKindsProcessor>();
        builder.Services.AddSingleton(services => new DescriptorPipeline(
            services.GetServices<IEntityProcessor>(),
            services.GetRequiredService<IOptions<CatalogOptions>>().Value.Descriptors));

        builder.Services.AddSingleton<ILocationTargetReader, FileTargetReader>();
        builder.Services.AddSingleton<ILocationTargetReader, UrlTargetReader>();
        builder.Services.AddSingleton<ILocationTargetReader, GitTargetReader>();
        builder.Services.AddHttpClient(UrlTargetReader.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(services => UrlTargetReader.CreateHandler(services.GetRequiredService<IOptions<CatalogOptions>>()));
        builder.Services.AddSingleton<CatalogWriteGate>();
        builder.Services.AddSingleton(services => new LocationService(
            services.GetRequiredService<NpgsqlDataSource>(),
            services.GetRequiredService<CatalogWriteGate>(),
            services.GetRequiredService<DescriptorPipeline>(),
            services.GetServices<ILocationTargetReader>(),
            services.GetRequiredService<IOptions<CatalogOptions>>(),
            services.GetRequiredService<Microsoft.Extensions.Logging.ILogger<LocationService>>()));
        builder.Services.AddSingleton(services => new FullTextIndex(
            services.GetRequiredService<NpgsqlDataSource>(),
            services.GetRequiredService<CatalogWriteGate>(),
            services.GetRequiredService<IOptions<CatalogOptions>>(),
            services.GetRequiredService<Microsoft.Extensions.Logging.ILogger<FullTextIndex>>()));
        builder.Services.AddSingleton<EntityQueryService>();
        builder.Services.AddSingleton<ChangeMatcher>();
        builder.Services.AddSingleton(services => new EntityService(
            services.GetRequiredService<CatalogWriteGate>(),
            services.GetRequiredService<DescriptorPipeline>()));
        builder.Services.AddHostedService<LocationRefresher>();

        return builder;
    }

    /// <summary>
    /// Adds the catalog's bus consumers: <see cref="Portal.Contracts.Catalog.RegisterLocation"/> commands, applied once
    /// per message through the catalog's inbox. With RabbitMQ the replicas compete for one queue.
    /// </summary>
    public static IBusRegistrationConfigurator AddCatalogConsumers(this IBusRegistrationConfigurator bus)
    {
        // Retries cover what a retry can mend (the database restarting, a lock timeout); a refused or unreadable
        // target is answered, not retried.
        bus.AddConsumer<RegisterLocationConsumer>(consumer => consumer.UseMessageRetry(retry => retry.Intervals(200, 1000, 5000)));
        return bus;
    }

    /// <summary>
    /// Adds an entity processor. Processors are singletons, run for every document in ascending
    /// Order, and report problems through their context instead of throwing.
    /// </summary>
    public static IServiceCollection AddCatalogProcessor<TProcessor>(this IServiceCollection services)
        where TProcessor : class, IEntityProcessor
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEntityProcessor, TProcessor>());
        return services;
    }
}
