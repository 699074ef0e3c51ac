using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Portal.Testing;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>
/// A production gateway with one file root: a local git repository under the root whose <c>.git</c> file points at a
/// repository outside it is refused like any other target off the roots, 403 NotAllowedError, even in a dry run
/// (which an anonymous reader may send).
/// </summary>
public sealed class Refusing_git_repositories_outside_the_roots(TestDatabase database) : IClassFixture<TestDatabase>, IDisposable
{
    private readonly string _base = Path.Combine(Path.GetTempPath(), "portal-git-roots-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public async Task A_git_file_pointing_outside_the_roots_is_a_403_and_nothing_of_the_outside_repository_is_answered()
    {
        var root = Path.Combine(_base, "root");
        var outside = Path.Combine(_base, "outside");
        Directory.CreateDirectory(root);
        Directory.CreateDirectory(outside);
        Git(outside, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(outside, "catalog-info.yaml"), "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: outside-secret}\nspec: {type: service, lifecycle: production, owner: team-a}\n");
        Git(outside, "add", ".");
        Git(outside, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "secret");
        var inside = Path.Combine(root, "looks-local");
        Directory.CreateDirectory(inside);
        File.WriteAllText(Path.Combine(inside, ".git"), $"gitdir: {outside}/.git\n");
        await using var gateway = new PortalAppFactory(database.ConnectionString, new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Catalog:Locations:FileRoots:0"] = root,
        }, environment: "Production");
        using var api = new CatalogApiClient(gateway.CreateClient());

        var response = await api.PostAsync("/locations?dryRun=true", JsonSerializer.Serialize(new { type = "git", target = $"{inside}#main:catalog-info.yaml" }));

        var message = CatalogApiClient.AssertError(response, HttpStatusCode.Forbidden, "NotAllowedError", "which is not under an allowed folder (Catalog:Locations:FileRoots)");
        Assert.StartsWith($"{inside}#main:catalog-info.yaml keeps its git directory in ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("outside-secret", response.Json.GetRawText(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_base))
        {
            Directory.Delete(_base, recursive: true);
        }
    }

    private static void Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {process.StandardError.ReadToEnd()}");
    }
}
