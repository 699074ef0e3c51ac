using System.Net;

namespace Portal.Gateway.Tests.Hosting;

public sealed class Health_endpoints(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task Healthz_answers_200_while_the_process_is_alive()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/healthz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_answers_200_when_the_database_is_migrated()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/readyz", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("catalog-database", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }
}
