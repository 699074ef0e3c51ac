using System.Net;
using Portal.Gateway.Tests.GraphQL;

namespace Portal.Gateway.Tests.Hosting;

public sealed class Telemetry_endpoint(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task Metrics_are_scraped_in_Prometheus_format_with_GraphQL_operation_durations_by_name()
    {
        using var graph = new GraphClient(app.CreateClient());
        (await graph.PostAsync("query CountEverything { entities { totalCount } }")).Ok();
        using var client = app.CreateClient();

        // The exporter caches a scrape for a moment; poll until the operation shows up.
        var text = "";
        // The server records a request's duration after its response is sent, so the first scrapes can miss it.
        string[] expected =
        [
            "portal_graphql_operation_duration_seconds_bucket{",
            "graphql_operation_name=\"CountEverything\"",
            "graphql_operation_type=\"query\"",
            "http_server_request_duration_seconds",
        ];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !expected.All(e => text.Contains(e, StringComparison.Ordinal)))
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            using var response = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        }

        Assert.All(expected, e => Assert.Contains(e, text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Client_chosen_operation_names_cannot_inflate_the_metric_labels()
    {
        using var graph = new GraphClient(app.CreateClient());

        await graph.PostAsync("query { version }", operationName: "name with spaces and {braces}");
        using var client = app.CreateClient();
        using var response = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.DoesNotContain("braces", text, StringComparison.Ordinal);
    }
}
