using System.Net;
using System.Text.Json;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>
/// <c>POST /validate-entity</c> lists the first 100 errors (<c>CatalogLimits.MaxProblemsReported</c>), then one more
/// of the same shape counting the rest, and <c>errorCount</c>: an entity of a thousand bad references gets a small answer.
/// </summary>
public sealed class Bounding_problem_lists_over_REST(PortalApp app) : IClassFixture<PortalApp>
{
    [Fact]
    public async Task Validating_an_entity_of_a_thousand_problems_lists_the_first_100_and_counts_them_all()
    {
        using var api = new CatalogApiClient(app.CreateClient());
        var body = JsonSerializer.Serialize(new
        {
            location = "url:https://example.com/catalog-info.yaml",
            entity = new
            {
                apiVersion = "backstage.io/v1alpha1",
                kind = "Component",
                metadata = new { name = "depends-on-numbers" },
                spec = new { type = "service", lifecycle = "production", owner = "team-a", dependsOn = Enumerable.Range(0, 1_000).ToArray() },
            },
        });

        var response = await api.PostAsync("/validate-entity", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var errors = response.Json.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(101, errors.Count);
        Assert.All(errors, e => Assert.Equal("InputError", e.GetProperty("name").GetString()));
        Assert.Contains("spec.dependsOn[99]", errors[99].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(
            "900 more problems were left out: an answer lists the first 100 of 1,000 (CatalogLimits.MaxProblemsReported).",
            errors[100].GetProperty("message").GetString());
        Assert.Equal(1_000, response.Json.GetProperty("errorCount").GetInt32());
        Assert.True(response.Json.GetRawText().Length < 50_000, $"the answer is {response.Json.GetRawText().Length} characters");
    }
}
