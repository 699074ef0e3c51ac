using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Portal.Gateway.Hosting.Telemetry;

/// <summary>
/// OpenTelemetry for the gateway: metrics (ASP.NET Core, outgoing HTTP, Npgsql, runtime, GraphQL operations) on a
/// Prometheus scrape endpoint, and traces of the same exported over OTLP when an endpoint is configured (the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> variable). Without an exporter no spans are recorded, so they cost nothing.
/// </summary>
public static class TelemetryRegistration
{
    public const string MetricsPath = "/metrics";

    public static IHostApplicationBuilder AddPortalTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GraphQLMetrics>();
        var otlpEndpoint = builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("portal-gateway",
                serviceVersion: typeof(TelemetryRegistration).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddMeter(GraphQLMetrics.Name, Load.LoadShedding.MeterName)
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddAspNetCoreInstrumentation(aspNet => aspNet.Filter = context =>
                        !context.Request.Path.StartsWithSegments(MetricsPath) && !context.Request.Path.StartsWithSegments("/healthz"))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql()
                    .AddSource(GraphQLMetrics.Name))
                .UseOtlpExporter();
        }

        return builder;
    }

    public static IEndpointRouteBuilder MapPortalTelemetry(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
        return endpoints;
    }
}
