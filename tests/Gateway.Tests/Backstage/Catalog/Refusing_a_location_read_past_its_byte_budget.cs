using System.Net;
using System.Text.Json;
using Portal.Gateway.Tests.GraphQL;
using Portal.Testing;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>
/// A gateway whose location reads may pull in 64 KiB in all (<c>Catalog:Locations:MaxBytesPerRead</c>): a folder of
/// three 30 KB descriptors is refused as an unreadable location is, naming the location and the limit, on both surfaces.
/// </summary>
public sealed class Refusing_a_location_read_past_its_byte_budget(TestDatabase database) : IClassFixture<TestDatabase>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-read-budget-").FullName;

    private string Refusal => $"Location file:{_folder} pulls in more than 65536 bytes of descriptor files in one read (Catalog:Locations:MaxBytesPerRead); the read was refused and nothing of it is ingested.";

    [Fact]
    public async Task The_REST_registration_and_its_dry_run_are_400_InputError_and_GraphQL_is_LOCATION_UNREADABLE()
    {
        foreach (var name in (string[])["budget-a", "budget-b", "budget-c"])
        {
            File.WriteAllText(Path.Combine(_folder, $"{name}.yaml"),
                $"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: {name}}}\nspec: {{type: service, lifecycle: production, owner: team-a}}\n# {new string('x', 30 * 1024)}\n");
        }

        await using var gateway = new PortalAppFactory(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Catalog:Locations:MaxBytesPerRead"] = "65536",
        });
        using var api = new CatalogApiClient(gateway.CreateClient());
        using var graph = new GraphClient(gateway.CreateClient());
        var body = JsonSerializer.Serialize(new { type = "file", target = _folder });

        var dryRun = await api.PostAsync("/locations?dryRun=true", body);
        var registration = await api.PostAsync("/locations", body);
        var mutation = await graph.PostAsync("mutation($target: String!) { registerLocation(type: \"file\", target: $target) { created } }", new { target = _folder });

        Assert.Equal(Refusal, CatalogApiClient.AssertError(dryRun, HttpStatusCode.BadRequest, "InputError", "Catalog:Locations:MaxBytesPerRead"));
        Assert.Equal(Refusal, CatalogApiClient.AssertError(registration, HttpStatusCode.BadRequest, "InputError", "Catalog:Locations:MaxBytesPerRead"));
        Assert.Equal(Refusal, (string?)mutation.Error("LOCATION_UNREADABLE")["message"]);
        Assert.Equal(0, (await api.GetAsync("/locations")).Json.GetArrayLength());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
