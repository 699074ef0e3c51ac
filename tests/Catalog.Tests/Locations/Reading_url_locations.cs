using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Locations;

/// <summary>The production posture: a host allow-list, and private addresses refused.</summary>
public sealed class GuardedUrls : ModuleHost
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Catalog:Locations:AllowedHosts:0"] = "169.254.169.254",
        ["Catalog:Locations:AllowedHosts:1"] = "localhost",
        ["Catalog:Locations:AllowedHosts:2"] = "10.1.2.3",
        ["Catalog:Locations:AllowedHosts:3"] = "*.allowed.example",

        // Addresses an operator might list by mistake: listing them must not open the way to them.
        ["Catalog:Locations:AllowedHosts:4"] = "::1",
        ["Catalog:Locations:AllowedHosts:5"] = "[::ffff:127.0.0.1]",
        ["Catalog:Locations:AllowedHosts:6"] = "::127.0.0.1",
        ["Catalog:Locations:AllowedHosts:7"] = "64:ff9b::7f00:1",
        ["Catalog:Locations:AllowedHosts:8"] = "0.0.0.0",
    };
}

public sealed class Url_locations_are_guarded(GuardedUrls app) : IClassFixture<GuardedUrls>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/catalog-info.yaml", "link-local")]
    [InlineData("http://10.1.2.3/catalog-info.yaml", "private")]
    [InlineData("http://[::1]/catalog-info.yaml", "private")]
    [InlineData("http://[::2]/catalog-info.yaml", "not allowed")]
    [InlineData("http://[::ffff:127.0.0.1]/catalog-info.yaml", "private")]
    [InlineData("http://[::127.0.0.1]/catalog-info.yaml", "private")]
    [InlineData("http://[64:ff9b::7f00:1]/catalog-info.yaml", "private")]
    [InlineData("http://167838211/catalog-info.yaml", "private")]
    [InlineData("http://0x0a.1.2.3/catalog-info.yaml", "private")]
    [InlineData("http://012.1.2.3/catalog-info.yaml", "private")]
    [InlineData("http://10.1.515/catalog-info.yaml", "private")]
    [InlineData("http://0/catalog-info.yaml", "private")]
    [InlineData("http://2130706433/catalog-info.yaml", "127.0.0.1 is not allowed")]
    [InlineData("http://0x7f.0.0.1/catalog-info.yaml", "127.0.0.1 is not allowed")]
    [InlineData("http://0177.0.0.1/catalog-info.yaml", "127.0.0.1 is not allowed")]
    [InlineData("http://files.allowed.example@127.0.0.1/catalog-info.yaml", "user information")]
    [InlineData("http://files.allowed.example@10.1.2.3/catalog-info.yaml", "user information")]
    [InlineData("http://user:secret@files.allowed.example/catalog-info.yaml", "user information")]
    [InlineData("http://127.0.0.1\\@files.allowed.example/catalog-info.yaml", "http or https")]
    [InlineData("http://localhost./catalog-info.yaml", "not allowed")]
    [InlineData("http://elsewhere.example/catalog-info.yaml", "not allowed")]
    [InlineData("ftp://files.allowed.example/catalog-info.yaml", "http or https")]
    [InlineData("javascript:alert(1)", "http or https")]
    public async Task A_target_off_the_list_or_on_a_private_address_is_refused_before_any_request(string target, string reason)
    {
        var error = await Assert.ThrowsAsync<LocationForbiddenException>(() =>
            app.Get<LocationService>().RegisterAsync("url", target, Cancellation));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await app.Get<LocationService>().ListAsync(Cancellation), l => l.Target == target);
    }

    [Fact]
    public async Task A_host_name_that_resolves_to_loopback_is_refused_when_connecting()
    {
        await using var site = await StaticSite.StartAsync();
        var url = site.Serve("/catalog-info.yaml", CatalogFolder.Component("never-read")).Replace("127.0.0.1", "localhost", StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<LocationReadException>(() => app.Get<LocationService>().RegisterAsync("url", url, Cancellation));

        Assert.Contains("private addresses", error.Message, StringComparison.Ordinal);
        Assert.Null(await app.Get<EntityQueryService>().GetAsync("component:default/never-read", Cancellation));
    }
}

/// <summary>URL locations against a local server: private addresses allowed, as a test or an internal deployment would.</summary>
public sealed class LocalUrls : ModuleHost
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Catalog:Locations:AllowedHosts:0"] = "127.0.0.1",
        ["Catalog:Locations:AllowPrivateAddresses"] = "true",
        ["Catalog:Locations:ReadTimeout"] = "00:00:01",
    };
}

public sealed class Reading_url_locations(LocalUrls app) : IClassFixture<LocalUrls>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ingests_the_file_and_the_targets_its_Location_points_at()
    {
        await using var site = await StaticSite.StartAsync();
        site.Serve("/team/component.yaml", CatalogFolder.Component("from-url"));
        var root = site.Serve("/catalog-info.yaml", """
            apiVersion: backstage.io/v1alpha1
            kind: Location
            metadata:
              name: url-root
            spec:
              targets: [./team/component.yaml]
            """);

        var outcome = await app.Get<LocationService>().RegisterAsync("url", root, Cancellation);

        Assert.Empty(outcome.Problems);
        Assert.Equal(["component:default/from-url", "location:default/url-root"], outcome.EntityRefs.Order());
    }

    [Theory]
    [InlineData("file")]
    [InlineData("git")]
    public async Task A_remote_Location_cannot_point_at_files_or_repositories_on_the_server(string type)
    {
        using var folder = new CatalogFolder();
        var local = folder.Write("secret.yaml", CatalogFolder.Component($"server-secret-{type}"));
        var target = type == "file" ? local : $"{folder.Root}#main:secret.yaml";
        await using var site = await StaticSite.StartAsync();
        var root = site.Serve("/catalog-info.yaml", $$"""
            apiVersion: backstage.io/v1alpha1
            kind: Location
            metadata:
              name: reaching-in-{{type}}
            spec:
              type: {{type}}
              targets: ["{{target}}"]
            """);

        var outcome = await app.Get<LocationService>().RegisterAsync("url", root, Cancellation);

        var problem = Assert.Single(outcome.Problems);
        Assert.Equal("spec.targets", problem.Field);
        Assert.Contains($"may not point at {type} targets on this server", problem.Message, StringComparison.Ordinal);
        Assert.Equal([$"location:default/reaching-in-{type}"], outcome.EntityRefs);
        Assert.Null(await app.Get<EntityQueryService>().GetAsync($"component:default/server-secret-{type}", Cancellation));
    }

    [Fact]
    public async Task A_404_is_refused_at_registration_with_the_url_named()
    {
        await using var site = await StaticSite.StartAsync();

        var error = await Assert.ThrowsAsync<LocationReadException>(() =>
            app.Get<LocationService>().RegisterAsync("url", site.BaseUrl + "/missing.yaml", Cancellation));

        Assert.Contains("/missing.yaml not found (404)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_to_a_host_off_the_list_is_not_followed()
    {
        await using var site = await StaticSite.StartAsync();
        var url = site.Redirect("/moved.yaml", "http://evil.example/catalog-info.yaml");

        var error = await Assert.ThrowsAsync<LocationReadException>(() => app.Get<LocationService>().RegisterAsync("url", url, Cancellation));

        Assert.Contains("evil.example is not allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_does_not_answer_in_time_is_a_timeout_error()
    {
        await using var site = await StaticSite.StartAsync();
        var url = site.Hang("/slow.yaml", TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<LocationReadException>(() => app.Get<LocationService>().RegisterAsync("url", url, Cancellation));

        Assert.Contains("did not answer within 1 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused_naming_the_limit()
    {
        await using var site = await StaticSite.StartAsync();
        var url = site.Serve("/huge.yaml", CatalogFolder.Component("huge") + "\n# " + new string('x', 10 * 1024 * 1024));

        var error = await Assert.ThrowsAsync<LocationReadException>(() => app.Get<LocationService>().RegisterAsync("url", url, Cancellation));

        Assert.Contains("MaxFileBytes", error.Message, StringComparison.Ordinal);
    }
}
