using System.Globalization;
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
        const string clientChosenName = "name with spaces and {braces}";
        using var graph = new GraphClient(app.CreateClient());
        using var client = app.CreateClient();
        // The meter is process-wide, so other tests' gateways may count operations as "other" too: ours is the rise.
        var before = CountedAs("other", await ScrapeAsync(client));

        await graph.PostAsync("query { version }", operationName: clientChosenName);
        // The exporter caches a scrape for a moment, and the duration is recorded after the response is sent: poll.
        var text = await ScrapeAsync(client);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && CountedAs("other", text) <= before)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            text = await ScrapeAsync(client);
        }

        Assert.True(CountedAs("other", text) > before,
            $"Expected the operation counted under graphql_operation_name=\"other\" (more than {before} before it); the counts were:\n"
            + string.Join('\n', OperationCounts(text)));
        Assert.DoesNotContain(clientChosenName, text, StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/metrics", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>The scrape's lines counting GraphQL operations, one per combination of labels.</summary>
    private static IEnumerable<string> OperationCounts(string scrape) =>
        scrape.Split('\n').Where(line => line.StartsWith("portal_graphql_operation_duration_seconds_count{", StringComparison.Ordinal));

    /// <summary>How many GraphQL operations the scrape counts under the operation name <paramref name="name"/>.</summary>
    private static double CountedAs(string name, string scrape) => OperationCounts(scrape)
        .Where(line => line.Contains($"graphql_operation_name=\"{name}\"", StringComparison.Ordinal))
        .Sum(line => double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
}
