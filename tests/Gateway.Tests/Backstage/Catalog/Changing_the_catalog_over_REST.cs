using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Catalog.Entities;

namespace Portal.Gateway.Tests.Backstage.Catalog;

public sealed class Changing_the_catalog_over_REST(PortalApp app) : IClassFixture<PortalApp>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-rest-").FullName;

    private CatalogApiClient Api() => new(app.CreateClient());

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_dry_run_answers_what_would_be_registered_and_stores_nothing()
    {
        var file = Write("dry.yaml", Component("dry-a"));
        using var api = Api();

        var response = await api.PostAsync("/locations?dryRun=true", Location(file));

        Assert.Equal(HttpStatusCode.Created, response.Status);
        Assert.False(response.Json.GetProperty("exists").GetBoolean());
        Assert.Equal($"file:{file}", response.Json.GetProperty("location").GetProperty("id").GetString());
        Assert.Equal(file, response.Json.GetProperty("location").GetProperty("target").GetString());
        var entity = Assert.Single(response.Json.GetProperty("entities").EnumerateArray());
        Assert.Equal("dry-a", ApiResponse.Name(entity));
        Assert.Contains(entity.GetProperty("relations").EnumerateArray(), r => r.GetProperty("targetRef").GetString() == "group:default/team-a");
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/entities/by-name/component/default/dry-a")).Status);
        Assert.DoesNotContain((await api.GetAsync("/locations")).Json.EnumerateArray(), l => l.GetProperty("data").GetProperty("target").GetString() == file);
    }

    [Fact]
    public async Task Registering_ingests_at_once_and_registering_again_is_a_conflict()
    {
        var file = Write("registered.yaml", Component("registered-a"));
        using var api = Api();

        var created = await api.PostAsync("/locations", Location(file));
        var again = await api.PostAsync("/locations", Location(file));
        var dryRun = await api.PostAsync("/locations?dryRun=true", Location(file));

        Assert.Equal(HttpStatusCode.Created, created.Status);
        var id = created.Json.GetProperty("location").GetProperty("id").GetString();
        Assert.True(Guid.TryParse(id, out _));
        Assert.False(created.Json.TryGetProperty("exists", out _));
        var entity = Assert.Single(created.Json.GetProperty("entities").EnumerateArray());
        Assert.True(Guid.TryParse(entity.GetProperty("metadata").GetProperty("uid").GetString(), out _));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/entities/by-name/component/default/registered-a")).Status);
        CatalogApiClient.AssertError(again, HttpStatusCode.Conflict, "ConflictError", "already registered");
        Assert.True(dryRun.Json.GetProperty("exists").GetBoolean());
        Assert.Equal(id, dryRun.Json.GetProperty("location").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_dry_run_of_an_invalid_descriptor_is_refused_naming_the_field()
    {
        var file = Write("invalid.yaml", Component("not a name"));
        using var api = Api();

        var response = await api.PostAsync("/locations?dryRun=true", Location(file));

        CatalogApiClient.AssertError(response, HttpStatusCode.BadRequest, "InputError", "metadata.name");
    }

    [Fact]
    public async Task A_target_that_cannot_be_read_is_refused_naming_it()
    {
        var missing = Path.Combine(_folder, "missing.yaml");
        using var api = Api();

        var response = await api.PostAsync("/locations", Location(missing));

        CatalogApiClient.AssertError(response, HttpStatusCode.BadRequest, "InputError", "missing.yaml");
        Assert.DoesNotContain((await api.GetAsync("/locations")).Json.EnumerateArray(), l => l.GetProperty("data").GetProperty("target").GetString() == missing);
    }

    [Fact]
    public async Task A_target_the_configuration_does_not_allow_is_403_NotAllowedError_as_in_GraphQL()
    {
        const string Target = "ftp://files.example/catalog-info.yaml";
        using var api = Api();

        var response = await api.PostAsync("/locations", JsonSerializer.Serialize(new { type = "url", target = Target }));

        CatalogApiClient.AssertError(response, HttpStatusCode.Forbidden, "NotAllowedError", "http or https");
        Assert.DoesNotContain((await api.GetAsync("/locations")).Json.EnumerateArray(), l => l.GetProperty("data").GetProperty("target").GetString() == Target);
    }

    [Fact]
    public async Task Refreshing_an_entity_reads_its_location_again()
    {
        var file = Write("refresh.yaml", Component("refresh-a", owner: "team-a"));
        using var api = Api();
        await api.PostAsync("/locations", Location(file));
        Write("refresh.yaml", Component("refresh-a", owner: "team-b"));

        var response = await api.PostAsync("/refresh", """{"entityRef": "component:default/refresh-a"}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var entity = (await api.GetAsync("/entities/by-name/component/default/refresh-a")).Json;
        Assert.Equal("team-b", entity.GetProperty("spec").GetProperty("owner").GetString());
        Assert.Contains(entity.GetProperty("relations").EnumerateArray(), r => r.GetProperty("targetRef").GetString() == "group:default/team-b");
    }

    [Fact]
    public async Task Refreshing_an_unknown_entity_is_a_404_and_an_API_managed_one_is_accepted_and_left_alone()
    {
        using var api = Api();
        await app.Get<EntityService>().UpsertAsync((JsonObject)JsonNode.Parse("""
            {"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"api-made-team"},"spec":{"type":"team","children":[]}}
            """)!, null, "test", TestContext.Current.CancellationToken);
        var before = (await api.GetAsync("/entities/by-name/group/default/api-made-team")).Json.GetProperty("metadata").GetProperty("etag").GetString();

        var unknown = await api.PostAsync("/refresh", """{"entityRef": "component:default/never-registered"}""");
        var apiManaged = await api.PostAsync("/refresh", """{"entityRef": "group:api-made-team"}""");

        CatalogApiClient.AssertError(unknown, HttpStatusCode.NotFound, "NotFoundError", "component:default/never-registered");
        Assert.Equal(HttpStatusCode.OK, apiManaged.Status); // as Backstage: nothing to read again
        var after = (await api.GetAsync("/entities/by-name/group/default/api-made-team")).Json.GetProperty("metadata").GetProperty("etag").GetString();
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Deleting_a_location_removes_its_entities()
    {
        var file = Write("deleted.yaml", Component("deleted-a"));
        using var api = Api();
        var id = (await api.PostAsync("/locations", Location(file))).Json.GetProperty("location").GetProperty("id").GetString();

        var deleted = await api.DeleteAsync($"/locations/{id}");
        var again = await api.DeleteAsync($"/locations/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/entities/by-name/component/default/deleted-a")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/locations/{id}")).Status);
        CatalogApiClient.AssertError(again, HttpStatusCode.NotFound, "NotFoundError", $"Found no location with ID {id}");
    }

    [Fact]
    public async Task Deleting_by_uid_removes_an_api_written_entity_but_not_one_a_location_manages()
    {
        var file = Write("managed.yaml", Component("managed-a"));
        using var api = Api();
        await api.PostAsync("/locations", Location(file));
        await app.Get<EntityService>().UpsertAsync(JsonNode.Parse(Json(Component("written-a")))!.AsObject(), null, "test", TestContext.Current.CancellationToken);
        var managedUid = await UidAsync(api, "managed-a");
        var writtenUid = await UidAsync(api, "written-a");

        var written = await api.DeleteAsync($"/entities/by-uid/{writtenUid}");
        var managed = await api.DeleteAsync($"/entities/by-uid/{managedUid}");
        var unknown = await api.DeleteAsync($"/entities/by-uid/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NoContent, written.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync($"/entities/by-uid/{writtenUid}")).Status);
        CatalogApiClient.AssertError(managed, HttpStatusCode.Conflict, "ConflictError", "managed by location");
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/entities/by-uid/{managedUid}")).Status);
        Assert.Equal(HttpStatusCode.NoContent, unknown.Status);
    }

    [Fact]
    public async Task Validating_a_valid_entity_answers_200_and_stores_nothing()
    {
        using var api = Api();

        var response = await api.PostAsync("/validate-entity", $$"""{"location": "url:https://example.com/catalog-info.yaml", "entity": {{Json(Component("validated-a"))}}}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/entities/by-name/component/default/validated-a")).Status);
    }

    [Theory]
    [InlineData("""{"location": "url:https://example.com/c.yaml", "entity": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "not a name"}, "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}}}""", "metadata.name")]
    [InlineData("""{"location": "url:https://example.com/c.yaml", "entity": {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "no-owner"}, "spec": {"type": "service", "lifecycle": "production"}}}""", "spec.owner")]
    [InlineData("""{"location": "nowhere", "entity": {"kind": "Component"}}""", "Invalid location ref 'nowhere'")]
    [InlineData("""{"location": "url:https://example.com/c.yaml", "entity": "Component"}""", "'entity' is required and must be a JSON object")]
    public async Task Validating_an_invalid_entity_answers_400_with_errors_naming_the_problem(string body, string message)
    {
        using var api = Api();

        var response = await api.PostAsync("/validate-entity", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        var errors = response.Json.GetProperty("errors").EnumerateArray().ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal("InputError", e.GetProperty("name").GetString()));
        Assert.Contains(errors, e => e.GetProperty("message").GetString()!.Contains(message, StringComparison.Ordinal));
    }

    private static async Task<string> UidAsync(CatalogApiClient api, string name) =>
        (await api.GetAsync($"/entities/by-name/component/default/{name}")).Json.GetProperty("metadata").GetProperty("uid").GetString()!;

    private static string Location(string file) => JsonSerializer.Serialize(new { type = "file", target = file });

    private static Dictionary<string, object> Component(string name, string owner = "team-a") => new()
    {
        ["apiVersion"] = "backstage.io/v1alpha1",
        ["kind"] = "Component",
        ["metadata"] = new Dictionary<string, object> { ["name"] = name },
        ["spec"] = new Dictionary<string, object> { ["type"] = "service", ["lifecycle"] = "production", ["owner"] = owner },
    };

    private static string Json(Dictionary<string, object> descriptor) => JsonSerializer.Serialize(descriptor);

    /// <summary>Writes a descriptor file (JSON is YAML too) into this test's folder.</summary>
    private string Write(string name, Dictionary<string, object> descriptor)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, Json(descriptor));
        return path;
    }
}
