using System.Net;
using System.Text.Json;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary><c>POST /validate-entity</c> refuses the script URLs a portal would render as links or images, naming the entity, field and rule.</summary>
public sealed class Validating_linked_fields_over_REST(PortalApp app) : IClassFixture<PortalApp>
{
    [Theory]
    [InlineData("backstage.io/edit-url", "javascript:alert(1)", "the link of component:default/linked")]
    [InlineData("backstage.io/source-location", "url:javascript:alert(1)", "the source location of component:default/linked")]
    [InlineData("backstage.io/managed-by-location", "url:javascript:alert(1)", "the managing location of component:default/linked")]
    [InlineData("backstage.io/managed-by-origin-location", "url:javascript:alert(1)", "the origin location of component:default/linked")]
    [InlineData("backstage.io/techdocs-ref", "url:javascript:alert(1)", "the TechDocs location of component:default/linked")]
    [InlineData("acme.com/grafana-url", "data:text/html,<script>alert(1)</script>", "the link of component:default/linked")]
    public async Task A_script_url_in_a_linked_annotation_is_a_400_naming_entity_field_and_rule(string key, string value, string entity)
    {
        using var api = new CatalogApiClient(app.CreateClient());
        var body = JsonSerializer.Serialize(new
        {
            location = "url:https://example.com/catalog-info.yaml",
            entity = new
            {
                apiVersion = "backstage.io/v1alpha1",
                kind = "Component",
                metadata = new { name = "linked", annotations = new Dictionary<string, string> { [key] = value } },
                spec = new { type = "service", lifecycle = "production", owner = "team-a" },
            },
        });

        var response = await api.PostAsync("/validate-entity", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var error = Assert.Single(response.Json.GetProperty("errors").EnumerateArray());
        Assert.Equal("InputError", error.GetProperty("name").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith($"url:https://example.com/catalog-info.yaml document 1, metadata.annotations.{key}: {entity}, ", message, StringComparison.Ordinal);
        Assert.EndsWith("an absolute http, https or mailto URL", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_script_url_as_a_users_picture_is_a_400()
    {
        using var api = new CatalogApiClient(app.CreateClient());
        var body = """
            {"location": "url:https://example.com/org.yaml", "entity": {"apiVersion": "backstage.io/v1alpha1", "kind": "User",
             "metadata": {"name": "ada"}, "spec": {"memberOf": [], "profile": {"picture": "javascript:alert(1)"}}}}
            """;

        var response = await api.PostAsync("/validate-entity", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(
            "url:https://example.com/org.yaml document 1, spec.profile.picture: the picture of user:default/ada, \"javascript:alert(1)\", is not an absolute http, https or mailto URL",
            Assert.Single(response.Json.GetProperty("errors").EnumerateArray()).GetProperty("message").GetString());
    }
}
