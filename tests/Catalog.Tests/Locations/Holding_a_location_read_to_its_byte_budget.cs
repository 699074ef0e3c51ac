using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Locations;

/// <summary>Locations read against a budget of 64 KiB per read (the default is 64 MiB); each file may still be 4 MiB.</summary>
public sealed class SmallReadBudget : ModuleHost
{
    public const int MaxBytesPerRead = 64 * 1024;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Catalog:Locations:MaxBytesPerRead"] = MaxBytesPerRead.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Catalog:Locations:AllowedHosts:0"] = "127.0.0.1",
        ["Catalog:Locations:AllowPrivateAddresses"] = "true",
    };
}

/// <summary>GitHub <c>git</c> locations against the local stand-in, with the same small budget.</summary>
public sealed class GitHubWithSmallReadBudget : ModuleHost
{
    public GitHubStandIn GitHub { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Catalog:Locations:MaxBytesPerRead"] = SmallReadBudget.MaxBytesPerRead.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Catalog:Locations:AllowedHosts:0"] = "github.com",
        ["Catalog:Locations:GitHub:ApiUrl"] = GitHub.ApiUrl.AbsoluteUri,
    };

    public override async ValueTask InitializeAsync()
    {
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

public sealed class Holding_a_GitHub_read_to_its_byte_budget(GitHubWithSmallReadBudget app) : IClassFixture<GitHubWithSmallReadBudget>
{
    [Fact]
    public async Task The_file_past_the_budget_is_never_downloaded_and_the_read_is_refused()
    {
        app.GitHub.Publish("acme/budget", "main",
            ("catalog/a.yaml", Holding_a_location_read_to_its_byte_budget.ThirtyKilobytes("budget-gh-a")),
            ("catalog/b.yaml", Holding_a_location_read_to_its_byte_budget.ThirtyKilobytes("budget-gh-b")),
            ("catalog/c.yaml", Holding_a_location_read_to_its_byte_budget.ThirtyKilobytes("budget-gh-c")));
        var target = "https://github.com/acme/budget#main:catalog";

        var error = await Assert.ThrowsAsync<LocationReadException>(() =>
            app.Get<LocationService>().RegisterAsync("git", target, TestContext.Current.CancellationToken));

        Assert.Equal(Holding_a_location_read_to_its_byte_budget.Refusal($"git:{target}"), error.Message);
        Assert.DoesNotContain(app.GitHub.Requests, request => request.Request.Contains("catalog/c.yaml", StringComparison.Ordinal));
    }
}

/// <summary>
/// One location read pulls in at most <c>Catalog:Locations:MaxBytesPerRead</c> bytes, across its files and every target
/// its Location entities reach: past it the read is refused whole, naming the location and the limit, whatever reads it.
/// </summary>
public sealed class Holding_a_location_read_to_its_byte_budget(SmallReadBudget app) : IClassFixture<SmallReadBudget>, IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "portal-budget-" + Guid.NewGuid().ToString("N")[..10]);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private LocationService Locations => app.Get<LocationService>();

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    /// <summary>A valid descriptor of about 30 KB: each is well under the file limit, three are over the read's budget.</summary>
    internal static string ThirtyKilobytes(string name) => CatalogFolder.Component(name) + "\n# " + new string('x', 30 * 1024) + "\n";

    internal static string Refusal(string location) =>
        $"Location {location} pulls in more than {SmallReadBudget.MaxBytesPerRead} bytes of descriptor files in one read (Catalog:Locations:MaxBytesPerRead); the read was refused and nothing of it is ingested.";

    [Fact]
    public async Task A_folder_whose_files_pass_the_budget_together_is_refused_at_registration_and_nothing_is_registered()
    {
        using var folder = new CatalogFolder();
        foreach (var name in (string[])["budget-file-a", "budget-file-b", "budget-file-c"])
        {
            folder.Write($"{name}.yaml", ThirtyKilobytes(name));
        }

        var error = await Assert.ThrowsAsync<LocationReadException>(() => Locations.RegisterAsync("file", folder.Root, Cancellation));

        Assert.Equal(Refusal($"file:{folder.Root}"), error.Message);
        Assert.DoesNotContain(await Locations.ListAsync(Cancellation), l => l.Target == folder.Root);
        Assert.Null(await Queries.GetAsync("component:default/budget-file-a", Cancellation));
    }

    [Fact]
    public async Task A_location_that_grew_past_the_budget_keeps_its_entities_and_reports_the_limit()
    {
        using var folder = new CatalogFolder();
        folder.Write("budget-grown-a.yaml", ThirtyKilobytes("budget-grown-a"));
        var location = (await Locations.RegisterAsync("file", folder.Root, Cancellation)).Location;
        folder.Write("budget-grown-b.yaml", ThirtyKilobytes("budget-grown-b"));
        folder.Write("budget-grown-c.yaml", ThirtyKilobytes("budget-grown-c"));

        var outcome = await Locations.RefreshAsync(location.Id, Cancellation);

        var problem = Assert.Single(outcome!.Problems);
        Assert.Equal((folder.Root, Refusal($"file:{folder.Root}")), (problem.Source, problem.Message));
        Assert.NotNull(await Queries.GetAsync("component:default/budget-grown-a", Cancellation));
        Assert.Null(await Queries.GetAsync("component:default/budget-grown-b", Cancellation));
        Assert.Equal(problem.Message, Assert.Single((await Locations.GetAsync(location.Id, Cancellation))!.Problems).Message);
    }

    [Fact]
    public async Task Url_targets_reached_through_a_Location_share_the_budget_of_the_read()
    {
        await using var site = await StaticSite.StartAsync();
        site.Serve("/a.yaml", ThirtyKilobytes("budget-url-a"));
        site.Serve("/b.yaml", ThirtyKilobytes("budget-url-b"));
        site.Serve("/c.yaml", ThirtyKilobytes("budget-url-c"));
        var root = site.Serve("/catalog-info.yaml", """
            apiVersion: backstage.io/v1alpha1
            kind: Location
            metadata:
              name: budget-url-root
            spec:
              targets: [./a.yaml, ./b.yaml, ./c.yaml]
            """);

        var error = await Assert.ThrowsAsync<LocationReadException>(() => Locations.RegisterAsync("url", root, Cancellation));

        Assert.Equal(Refusal($"url:{root}"), error.Message);
        Assert.Null(await Queries.GetAsync("component:default/budget-url-a", Cancellation));
    }

    [Fact]
    public async Task A_git_folder_whose_files_pass_the_budget_together_is_refused()
    {
        var repository = Path.Combine(_work, "repository");
        Directory.CreateDirectory(repository);
        Programs.Git(repository, "init", "-q", "-b", "main");
        foreach (var name in (string[])["budget-git-a", "budget-git-b", "budget-git-c"])
        {
            RootedFiles.Write(repository, $"catalog/{name}.yaml", ThirtyKilobytes(name));
        }

        Programs.Git(repository, "add", ".");
        Programs.Git(repository, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "catalog");
        var target = $"{repository}#main:catalog";

        var error = await Assert.ThrowsAsync<LocationReadException>(() => Locations.RegisterAsync("git", target, Cancellation));

        Assert.Equal(Refusal($"git:{target}"), error.Message);
        Assert.Null(await Queries.GetAsync("component:default/budget-git-a", Cancellation));
    }

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

}
