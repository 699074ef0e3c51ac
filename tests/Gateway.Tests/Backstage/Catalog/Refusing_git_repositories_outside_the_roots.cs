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
        Programs.Git(outside, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(outside, "catalog-info.yaml"), "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: outside-secret}\nspec: {type: service, lifecycle: production, owner: team-a}\n");
        Programs.Git(outside, "add", ".");
        Programs.Git(outside, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "secret");
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

    [Fact]
    public async Task A_repository_whose_configuration_includes_a_file_is_a_403_naming_the_key()
    {
        var root = Path.Combine(_base, "root");
        var repository = Path.Combine(root, "including");
        Directory.CreateDirectory(repository);
        Programs.Git(repository, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(repository, "catalog-info.yaml"), "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: including}\nspec: {type: service, lifecycle: production, owner: team-a}\n");
        Programs.Git(repository, "add", ".");
        Programs.Git(repository, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "catalog");
        Programs.Git(repository, "config", "include.path", Path.Combine(_base, "outside.gitconfig"));
        await using var gateway = Gateway(root);
        using var api = new CatalogApiClient(gateway.CreateClient());

        var response = await api.PostAsync("/locations?dryRun=true", JsonSerializer.Serialize(new { type = "git", target = $"{repository}#main:catalog-info.yaml" }));

        var message = CatalogApiClient.AssertError(response, HttpStatusCode.Forbidden, "NotAllowedError", "sets include.path, which includes another file");
        Assert.StartsWith($"{repository}#main:catalog-info.yaml cannot be read: its git configuration ", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Locating_a_repository_is_held_to_the_REST_request_time_limit()
    {
        var root = Path.Combine(_base, "root");
        var repository = Path.Combine(root, "stalled");
        Directory.CreateDirectory(repository);
        Programs.Git(repository, "init", "-q", "-b", "main");

        // git opens an included file while it reads the configuration, before it says where the repository is: a
        // pipe nobody writes to holds it there until it is stopped.
        var fifo = Path.Combine(root, "stalled.gitconfig");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        Programs.Git(repository, "config", "include.path", fifo);
        await using var gateway = Gateway(root, ("BackstageApi:RequestTimeout", "00:00:01"));
        using var api = new CatalogApiClient(gateway.CreateClient());
        var clock = Stopwatch.StartNew();

        var response = await api.PostAsync("/locations?dryRun=true", JsonSerializer.Serialize(new { type = "git", target = $"{repository}#main:catalog-info.yaml" }));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        CatalogApiClient.AssertError(response, HttpStatusCode.ServiceUnavailable, "ServiceUnavailableError", "(BackstageApi:RequestTimeout)");
    }

    private PortalAppFactory Gateway(string root, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Catalog:Locations:FileRoots:0"] = root,
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return new PortalAppFactory(database.ConnectionString, settings, environment: "Production");
    }

    public void Dispose()
    {
        if (Directory.Exists(_base))
        {
            Directory.Delete(_base, recursive: true);
        }
    }

}
