using System.Diagnostics;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Locations;

public sealed class Reading_git_locations(ModuleHost app) : IClassFixture<ModuleHost>, IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "portal-git-" + Guid.NewGuid().ToString("N")[..10]);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reads_a_file_at_a_ref_of_a_bare_repository()
    {
        var bare = CreateRepository(("catalog-info.yaml", CatalogFolder.Component("git-file-a")));

        var outcome = await app.Get<LocationService>().RegisterAsync("git", $"{bare}#main:catalog-info.yaml", Cancellation);

        Assert.Empty(outcome.Problems);
        Assert.NotNull(await app.Get<EntityQueryService>().GetAsync("component:default/git-file-a", Cancellation));
    }

    [Fact]
    public async Task Reads_every_descriptor_of_a_folder_and_follows_Location_targets_inside_the_repository()
    {
        var bare = CreateRepository(
            ("catalog/a.yaml", CatalogFolder.Component("git-folder-b")),
            ("catalog/README.md", "not a descriptor"),
            ("catalog/all.yaml", """
                apiVersion: backstage.io/v1alpha1
                kind: Location
                metadata:
                  name: git-folder-location
                spec:
                  targets: [../more/c.yaml]
                """),
            ("more/c.yaml", CatalogFolder.Component("git-folder-c")));

        var outcome = await app.Get<LocationService>().RegisterAsync("git", $"{bare}#main:catalog", Cancellation);

        Assert.Empty(outcome.Problems);
        Assert.Equal(["component:default/git-folder-b", "component:default/git-folder-c", "location:default/git-folder-location"], outcome.EntityRefs.Order());
    }

    [Theory]
    [InlineData("#--upload-pack=evil:catalog-info.yaml", "git ref")]
    [InlineData("#-c:catalog-info.yaml", "git ref")]
    [InlineData("#--output=/tmp/portal-injected:catalog-info.yaml", "git ref")]
    [InlineData("#-:catalog-info.yaml", "git ref")]
    [InlineData("#main --all:catalog-info.yaml", "git ref")]
    [InlineData("#main..other:catalog-info.yaml", "git ref")]
    [InlineData("#main:-catalog-info.yaml", "segments starting with '-'")]
    [InlineData("#main:docs/--output=/tmp/portal-injected", "segments starting with '-'")]
    [InlineData("#main:../etc/passwd", "'..'")]
    [InlineData("#main:catalog\u0000info.yaml", "The path of the git target has a control character (U+0000) at position 8")]
    [InlineData("#main:catalog\ninfo.yaml", "The path of the git target has a control character (U+000A) at position 8")]
    [InlineData("main:catalog-info.yaml", "REPOSITORY#REF:PATH")]
    public async Task A_malformed_or_hostile_target_is_refused(string suffix, string reason)
    {
        var bare = CreateRepository(("catalog-info.yaml", CatalogFolder.Component("git-never")));

        var error = await Assert.ThrowsAsync<LocationForbiddenException>(() =>
            app.Get<LocationService>().RegisterAsync("git", bare + suffix, Cancellation));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Null(await app.Get<EntityQueryService>().GetAsync("component:default/git-never", Cancellation));
    }

    [Theory]
    [InlineData("https://github.com/acme/app#--upload-pack=evil:catalog-info.yaml", "git ref")]
    [InlineData("https://github.com/acme/app#main:-x/catalog-info.yaml", "segments starting with '-'")]
    public async Task GitHub_targets_get_the_same_checks(string target, string reason)
    {
        var error = await Assert.ThrowsAsync<LocationForbiddenException>(() => app.Get<LocationService>().RegisterAsync("git", target, Cancellation));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_repository_that_looks_like_an_option_is_only_ever_a_path()
    {
        var marker = Path.Combine(_work, "injected-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(_work);

        var error = await Assert.ThrowsAsync<LocationReadException>(() =>
            app.Get<LocationService>().RegisterAsync("git", $"--upload-pack=touch {marker}#main:catalog-info.yaml", Cancellation));

        Assert.Contains("cannot be read", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_path_missing_at_that_ref_is_a_read_error()
    {
        var bare = CreateRepository(("catalog-info.yaml", CatalogFolder.Component("git-other")));

        var error = await Assert.ThrowsAsync<LocationReadException>(() =>
            app.Get<LocationService>().RegisterAsync("git", $"{bare}#main:nope.yaml", Cancellation));

        Assert.Contains("nope.yaml", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_10_MB_file_in_a_repository_folder_is_that_file_s_problem_and_its_siblings_still_update()
    {
        var bare = CreateRepository(("catalog/big.yaml", CatalogFolder.Component("git-big")), ("catalog/small.yaml", CatalogFolder.Component("git-small", owner: "team-before")));
        var location = (await app.Get<LocationService>().RegisterAsync("git", $"{bare}#main:catalog", Cancellation)).Location;
        Push(bare, ("catalog/big.yaml", CatalogFolder.Component("git-big") + "\n# " + new string('x', 10 * 1024 * 1024)), ("catalog/small.yaml", CatalogFolder.Component("git-small", owner: "team-after")));
        var clock = Stopwatch.StartNew();

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        var problem = Assert.Single(outcome!.Problems);
        Assert.Equal($"{bare}#main:catalog/big.yaml", problem.Source);
        Assert.Contains($"{bare}#main:catalog/big.yaml is over the limit", problem.Message, StringComparison.Ordinal);
        Assert.NotNull(await app.Get<EntityQueryService>().GetAsync("component:default/git-big", Cancellation));
        Assert.Equal("group:default/team-after", (await app.Get<EntityQueryService>().GetAsync("component:default/git-small", Cancellation))!.OwnerRef);
    }

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    private string CreateRepository(params (string Path, string Content)[] files)
    {
        var source = Path.Combine(_work, "src-" + Guid.NewGuid().ToString("N")[..6]);
        var bare = source + ".git";
        Directory.CreateDirectory(source);
        Programs.Git(source, "init", "-q", "-b", "main");
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(source, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }

        Programs.Git(source, "add", ".");
        Programs.Git(source, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "catalog");
        Programs.Git(_work, "clone", "-q", "--bare", source, bare);
        return bare;
    }

    /// <summary>Commits new contents of the files to the repository's source and pushes them to the bare repository.</summary>
    private static void Push(string bare, params (string Path, string Content)[] files)
    {
        var source = bare[..^".git".Length];
        foreach (var (path, content) in files)
        {
            File.WriteAllText(Path.Combine(source, path), content);
        }

        Programs.Git(source, "add", ".");
        Programs.Git(source, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "change");
        Programs.Git(source, "push", "-q", bare, "main");
    }

}
