using MassTransit;
using Microsoft.Extensions.Options;
using Portal.Postgres.Outbox;

namespace Portal.Gateway.Messaging;

public static class BusRegistration
{
    /// <summary>
    /// Sets up the one MassTransit bus of the process, with the consumers the modules add, and a relay for each
    /// outbox a module registered (<see cref="OutboxRegistration.AddOutbox"/>). RabbitMQ when <c>Bus:RabbitMq:Host</c> is set, else the in-memory transport. With
    /// RabbitMQ one replica publishes each outbox row and the broker fans it out; in memory every replica publishes
    /// every row to itself (docs/decisions/0004-change-fan-out.md).
    /// </summary>
    /// <param name="builder">The host.</param>
    /// <param name="consumers">Adds the modules' consumers.</param>
    public static IHostApplicationBuilder AddPortalBus(
        this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator> consumers)
    {
        builder.Services.AddOptions<RabbitMqOptions>()
            .BindConfiguration(RabbitMqOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The transport is chosen while the container is built, so it is read from configuration here, once.
        var rabbitMq = builder.Configuration.GetSection(RabbitMqOptions.Section).Get<RabbitMqOptions>() ?? new RabbitMqOptions();
        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter("portal", includeNamespace: false));
            // MassTransit reports how it is configured to its vendor unless told not to. The portal makes no call
            // outside the organisation that its operators did not configure (and here the call would fail anyway).
            bus.ConfigureUsageTelemetryOptions(telemetry => telemetry.Enabled = false);
            consumers(bus);
            if (rabbitMq.Enabled)
            {
                bus.UsingRabbitMq((context, transport) =>
                {
                    var settings = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                    transport.Host(settings.Host, (ushort)settings.Port, settings.VirtualHost, host =>
                    {
                        host.Username(settings.Username);
                        host.Password(settings.Password);
                    });
                    transport.ConfigureEndpoints(context);
                });
            }
            else
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
        });

        // A broker that is down must not keep the portal from serving reads: the bus connects in the background, the
        // readiness check reports it, and the relay retries.
        builder.Services.Configure<MassTransitHostOptions>(host =>
        {
            host.WaitUntilStarted = !rabbitMq.Enabled;
            host.StopTimeout = TimeSpan.FromSeconds(10);
        });

        builder.Services.AddOutboxRelays(rabbitMq.Enabled ? OutboxDelivery.Once : OutboxDelivery.EveryReplica);
        return builder;
    }
}
