using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Locations;

/// <summary>The gateway with GitHub <c>git</c> locations pointed at a local stand-in for the GitHub API.</summary>
public sealed class GitHubLocations : ModuleHost
{
    public const string Token = "ghp_standin_token";

    public GitHubStandIn GitHub { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Catalog:Locations:AllowedHosts:0"] = "github.com",
        ["Catalog:Locations:GitHub:ApiUrl"] = GitHub.ApiUrl.AbsoluteUri,
        ["Catalog:Locations:GitHub:Token"] = Token,
        ["Catalog:Locations:ReadTimeout"] = "00:00:05",
    };

    public override async ValueTask InitializeAsync()
    {
        // The stand-in's address goes into the settings, so it starts first.
        GitHub = await GitHubStandIn.StartAsync();
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await GitHub.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

public sealed class Reading_github_locations(GitHubLocations app) : IClassFixture<GitHubLocations>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private GitHubStandIn GitHub => app.GitHub;

    private LocationService Locations => app.Get<LocationService>();

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    [Fact]
    public async Task Reads_a_file_at_the_named_ref_with_the_configured_token()
    {
        GitHub.Publish("acme/one-file", "main", ("catalog-info.yaml", CatalogFolder.Component("gh-on-main")));
        GitHub.Publish("acme/one-file", "release-1", ("catalog-info.yaml", CatalogFolder.Component("gh-on-release")));

        var outcome = await Locations.RegisterAsync("git", "https://github.com/acme/one-file#release-1:catalog-info.yaml", Cancellation);

        Assert.Empty(outcome.Problems);
        Assert.Equal(["component:default/gh-on-release"], outcome.EntityRefs);
        Assert.NotNull(await Queries.GetAsync("component:default/gh-on-release", Cancellation));
        Assert.Null(await Queries.GetAsync("component:default/gh-on-main", Cancellation));
        var requests = GitHub.Requests.Where(r => r.Request.Contains("/acme/one-file/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.Contains("ref=release-1", r.Request, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.Contains(GitHubLocations.Token, r.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reads_every_descriptor_of_a_folder_and_follows_Location_targets_inside_the_repository()
    {
        GitHub.Publish(
            "acme/folders",
            "main",
            ("catalog/a.yaml", CatalogFolder.Component("gh-folder-a")),
            ("catalog/README.md", "not a descriptor"),
            ("catalog/nested/b.yml", CatalogFolder.Component("gh-folder-b")),
            ("catalog/all.yaml", """
                apiVersion: backstage.io/v1alpha1
                kind: Location
                metadata:
                  name: gh-folder-location
                spec:
                  targets: [../more/c.yaml]
                """),
            ("more/c.yaml", CatalogFolder.Component("gh-folder-c")),
            ("more/ignored.yaml", CatalogFolder.Component("gh-folder-ignored")));

        var outcome = await Locations.RegisterAsync("git", "https://github.com/acme/folders#main:catalog", Cancellation);

        Assert.Empty(outcome.Problems);
        Assert.Equal(
            ["component:default/gh-folder-a", "component:default/gh-folder-b", "component:default/gh-folder-c", "location:default/gh-folder-location"],
            outcome.EntityRefs.Order());
    }

    [Fact]
    public async Task Reads_one_after_another_share_one_connection_to_GitHub()
    {
        GitHub.Publish("acme/first", "main", ("catalog-info.yaml", CatalogFolder.Component("gh-first")));
        GitHub.Publish("acme/second", "main", ("catalog-info.yaml", CatalogFolder.Component("gh-second")));
        var location = (await Locations.RegisterAsync("git", "https://github.com/acme/first#main:catalog-info.yaml", Cancellation)).Location;

        await Locations.RegisterAsync("git", "https://github.com/acme/second#main:catalog-info.yaml", Cancellation);
        await Locations.RefreshAsync(location.Id, Cancellation);

        var connections = GitHub.Requests.Where(r => r.Request.Contains("/acme/first/", StringComparison.Ordinal) || r.Request.Contains("/acme/second/", StringComparison.Ordinal))
            .Select(r => r.Connection).Distinct().ToList();
        Assert.Single(connections);
    }

    [Theory]
    [InlineData("https://github.com/acme/%2e%2e#main:catalog-info.yaml", "is not a repository URL")]
    [InlineData("https://github.com/%2e%2e/users#main:catalog-info.yaml", "is not a repository URL")]
    [InlineData("https://github.com/acme/app%3Fref=x#main:catalog-info.yaml", "is not a repository URL")]
    [InlineData("https://github.com/acme/app?ref=evil#main:catalog-info.yaml", "is not a repository URL")]
    [InlineData("https://github.com/acme/app/tree/main#main:catalog-info.yaml", "is not a repository URL")]
    [InlineData("https://github.com/acme/app#main:catalog-info.yaml?ref=evil", "may not contain '?'")]
    [InlineData("https://github.com/acme/app#main:%2e%2e/catalog-info.yaml", "may not contain '?', '%'")]
    [InlineData("https://evil.example/acme/app#main:catalog-info.yaml", "evil.example is not allowed")]
    public async Task A_target_that_would_address_another_API_endpoint_is_refused_before_any_request(string target, string reason)
    {
        var before = GitHub.Requests.Count;

        var error = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", target, Cancellation));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, GitHub.Requests.Count);
    }

    [Fact]
    public async Task A_repository_that_turns_404_keeps_its_entities_and_the_location_carries_the_error()
    {
        GitHub.Publish("acme/vanishing", "main", ("catalog-info.yaml", CatalogFolder.Component("gh-vanishing")));
        var location = (await Locations.RegisterAsync("git", "https://github.com/acme/vanishing#main:catalog-info.yaml", Cancellation)).Location;
        GitHub.Remove("acme/vanishing");

        var outcome = await Locations.RefreshAsync(location.Id, Cancellation);

        var problem = Assert.Single(outcome!.Problems);
        Assert.Contains("https://github.com/acme/vanishing#main:catalog-info.yaml not found (404)", problem.Message, StringComparison.Ordinal);
        Assert.Equal(0, outcome.Removed);
        Assert.NotNull(await Queries.GetAsync("component:default/gh-vanishing", Cancellation));
        Assert.Equal(problem.Message, Assert.Single((await Locations.GetAsync(location.Id, Cancellation))!.Problems).Message);
    }

    [Fact]
    public async Task A_missing_path_is_refused_at_registration_naming_the_target()
    {
        GitHub.Publish("acme/no-such-path", "main", ("catalog-info.yaml", CatalogFolder.Component("gh-elsewhere")));

        var error = await Assert.ThrowsAsync<LocationReadException>(() =>
            Locations.RegisterAsync("git", "https://github.com/acme/no-such-path#main:nope.yaml", Cancellation));

        Assert.Contains("https://github.com/acme/no-such-path#main:nope.yaml not found (404)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(403, GitHubStandIn.RateLimitMessage)]
    [InlineData(403, "Forbidden")]
    [InlineData(429, GitHubStandIn.RateLimitMessage)]
    public async Task A_rate_limited_refresh_is_a_clear_error_and_deletes_nothing(int status, string message)
    {
        var repository = $"acme/busy-{status}-{message.Length}";
        GitHub.Publish(repository, "main", ("catalog/a.yaml", CatalogFolder.Component($"gh-busy-a-{status}-{message.Length}")), ("catalog/b.yaml", CatalogFolder.Component($"gh-busy-b-{status}-{message.Length}")));
        var location = (await Locations.RegisterAsync("git", $"https://github.com/{repository}#main:catalog", Cancellation)).Location;
        var reset = DateTimeOffset.UtcNow.AddMinutes(17);
        GitHub.RateLimit(repository, reset, status, message);

        var outcome = await Locations.RefreshAsync(location.Id, Cancellation);

        var problem = Assert.Single(outcome!.Problems);
        Assert.Contains("rate limited", problem.Message, StringComparison.Ordinal);
        Assert.Contains(reset.ToString("u", System.Globalization.CultureInfo.InvariantCulture)[..16], problem.Message, StringComparison.Ordinal);
        Assert.Equal(0, outcome.Removed);
        Assert.Equal(2, (await Queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("metadata.name", $"gh-busy-a-{status}-{message.Length}", $"gh-busy-b-{status}-{message.Length}") }, Cancellation)).TotalCount);
    }

    [Fact]
    public async Task A_file_the_listing_shows_over_the_size_limit_is_refused_without_downloading_it()
    {
        GitHub.Publish(
            "acme/huge",
            "main",
            ("catalog/huge.yaml", CatalogFolder.Component("gh-huge") + "\n# " + new string('x', 5 * 1024 * 1024)),
            ("catalog/small.yaml", CatalogFolder.Component("gh-small")));

        var outcome = await Locations.RegisterAsync("git", "https://github.com/acme/huge#main:catalog", Cancellation);

        var problem = Assert.Single(outcome.Problems);
        Assert.Equal("https://github.com/acme/huge#main:catalog/huge.yaml", problem.Source);
        Assert.Contains("MaxFileBytes", problem.Message, StringComparison.Ordinal);
        Assert.Equal(["component:default/gh-small"], outcome.EntityRefs);
        Assert.DoesNotContain(GitHub.Requests, r => r.Request.Contains("huge.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_single_file_target_over_the_size_limit_is_refused_at_registration()
    {
        GitHub.Publish("acme/huge-file", "main", ("catalog-info.yaml", CatalogFolder.Component("gh-huge-file") + "\n# " + new string('x', 5 * 1024 * 1024)));

        var error = await Assert.ThrowsAsync<LocationReadException>(() =>
            Locations.RegisterAsync("git", "https://github.com/acme/huge-file#main:catalog-info.yaml", Cancellation));

        Assert.Contains("https://github.com/acme/huge-file#main:catalog-info.yaml is", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxFileBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rate_limited_registration_is_refused_with_a_clear_error()
    {
        GitHub.RateLimit("acme/busy-from-the-start", DateTimeOffset.UtcNow.AddMinutes(5));

        var error = await Assert.ThrowsAsync<LocationReadException>(() =>
            Locations.RegisterAsync("git", "https://github.com/acme/busy-from-the-start#main:catalog-info.yaml", Cancellation));

        Assert.Contains("rate limited", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await Locations.ListAsync(Cancellation), l => l.Target.Contains("busy-from-the-start", StringComparison.Ordinal));
    }
}
