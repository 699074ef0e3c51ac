using System.Net;

namespace Portal.Gateway.Tests.Backstage.Catalog;

public sealed class Rejecting_bad_REST_requests(AcmeCatalogApp app) : IClassFixture<AcmeCatalogApp>
{
    private CatalogApiClient Api() => new(app.CreateClient());

    [Theory]
    [MemberData(nameof(BadRequests.Names), MemberType = typeof(BadRequests))]
    public async Task A_malformed_request_gets_a_clear_error_in_Backstage_shape(string name)
    {
        var bad = BadRequests.Cases[name];
        using var api = Api();

        var response = await bad.SendAsync(api);

        CatalogApiClient.AssertError(response, bad.Status, bad.Name, bad.Message);
    }

    [Theory]
    [InlineData("/entities/by-uid/00000000-0000-0000-0000-000000000000", "No entity with uid 00000000-0000-0000-0000-000000000000")]
    [InlineData("/entities/by-uid/not-a-uid", "No entity with uid not-a-uid")]
    [InlineData("/entities/by-name/component/default/nope", "No entity named 'nope' found, with kind 'component' in namespace 'default'")]
    [InlineData("/locations/5b0d7c52-56a4-4e38-9bb4-34f5d35bc2cd", "Found no location with ID 5b0d7c52-56a4-4e38-9bb4-34f5d35bc2cd")]
    [InlineData("/locations/by-entity/component/default/nope", "No entity named 'nope'")]
    [InlineData("/no-such-route", "No catalog API route GET /api/catalog/no-such-route")]
    public async Task Something_that_does_not_exist_is_a_404_NotFoundError(string path, string message)
    {
        using var api = Api();

        var response = await api.GetAsync(path);

        CatalogApiClient.AssertError(response, HttpStatusCode.NotFound, "NotFoundError", message);
    }

    [Fact]
    public async Task The_error_body_names_the_request_it_answers()
    {
        using var api = Api();

        var response = await api.GetAsync("/entities/by-query?orderField=metadata.name,sideways");

        Assert.Equal("GET", response.Json.GetProperty("request").GetProperty("method").GetString());
        Assert.Equal("/api/catalog/entities/by-query?orderField=metadata.name,sideways", response.Json.GetProperty("request").GetProperty("url").GetString());
        Assert.Equal(400, response.Json.GetProperty("response").GetProperty("statusCode").GetInt32());
    }

    [Fact]
    public async Task Refreshing_an_entity_that_does_not_exist_is_a_404()
    {
        using var api = Api();

        var response = await api.PostAsync("/refresh", """{"entityRef": "component:default/nope"}""");

        CatalogApiClient.AssertError(response, HttpStatusCode.NotFound, "NotFoundError", "No entity with ref component:default/nope");
    }
}
