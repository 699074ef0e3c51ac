using System.Diagnostics;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Testing;

namespace Portal.Catalog.Tests.Ingestion;

/// <summary>The gateway with a descriptor size limit of 1 MiB instead of the default 4 MiB.</summary>
public sealed class OneMegabyteLimit : ModuleHost
{
    public const int MaxFileBytes = 1024 * 1024;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Catalog:Descriptors:MaxFileBytes"] = MaxFileBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

public sealed class Refusing_oversized_files(OneMegabyteLimit app) : IClassFixture<OneMegabyteLimit>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    /// <summary>A valid descriptor of about 10 MB: the component, then a long comment.</summary>
    private static string TenMegabytes(string name, string owner) =>
        CatalogFolder.Component(name, owner) + "\n# " + new string('x', 10 * 1024 * 1024) + "\n";

    [Fact]
    public async Task A_10_MB_file_is_refused_naming_the_file_and_the_location_keeps_its_entities()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", CatalogFolder.Component("big-a", owner: "team-before"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", file, Cancellation)).Location;
        folder.Write("catalog-info.yaml", TenMegabytes("big-a", owner: "team-after"));
        var clock = Stopwatch.StartNew();

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        var problem = Assert.Single(outcome!.Problems);
        Assert.Equal(file, problem.Source);
        Assert.Contains($"{file} is {new FileInfo(file).Length} bytes, over the limit of {OneMegabyteLimit.MaxFileBytes} bytes", problem.Message, StringComparison.Ordinal);
        Assert.Contains("Catalog:Descriptors:MaxFileBytes", problem.Message, StringComparison.Ordinal);
        Assert.Equal("group:default/team-before", (await Queries.GetAsync("component:default/big-a", Cancellation))!.OwnerRef);
        Assert.Equal(problem.Message, Assert.Single((await app.Get<LocationService>().GetAsync(location.Id, Cancellation))!.Problems).Message);
    }

    [Fact]
    public async Task A_10_MB_file_is_refused_at_registration_and_nothing_is_registered()
    {
        using var folder = new CatalogFolder();
        var file = folder.Write("catalog-info.yaml", TenMegabytes("big-b", owner: "team-b"));
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<LocationReadException>(() => app.Get<LocationService>().RegisterAsync("file", file, Cancellation));

        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxFileBytes", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(await app.Get<LocationService>().ListAsync(Cancellation), l => l.Target == file);
        Assert.Null(await Queries.GetAsync("component:default/big-b", Cancellation));
    }

    [Fact]
    public async Task A_10_MB_file_in_a_folder_is_that_file_s_problem_and_its_siblings_still_update()
    {
        using var folder = new CatalogFolder();
        var big = folder.Write("big.yaml", CatalogFolder.Component("big-c", owner: "team-before"));
        folder.Write("small.yaml", CatalogFolder.Component("small-c", owner: "team-before"));
        var location = (await app.Get<LocationService>().RegisterAsync("file", folder.Root, Cancellation)).Location;
        folder.Write("big.yaml", TenMegabytes("big-c", owner: "team-after"));
        folder.Write("small.yaml", CatalogFolder.Component("small-c", owner: "team-after"));

        var outcome = await app.Get<LocationService>().RefreshAsync(location.Id, Cancellation);

        var problem = Assert.Single(outcome!.Problems);
        Assert.Equal(big, problem.Source);
        Assert.Contains("MaxFileBytes", problem.Message, StringComparison.Ordinal);
        Assert.Equal("group:default/team-after", (await Queries.GetAsync("component:default/small-c", Cancellation))!.OwnerRef);
        Assert.Equal("group:default/team-before", (await Queries.GetAsync("component:default/big-c", Cancellation))!.OwnerRef);
    }

    [Fact]
    public async Task A_link_to_a_10_MB_file_is_measured_by_what_it_points_at()
    {
        using var folder = new CatalogFolder();
        var big = folder.Write("big.txt", TenMegabytes("big-d", owner: "team-d"));
        var link = Path.Combine(folder.Root, "catalog-info.yaml");
        File.CreateSymbolicLink(link, big);

        var error = await Assert.ThrowsAsync<LocationReadException>(() => app.Get<LocationService>().RegisterAsync("file", link, Cancellation));

        Assert.Contains($"is {new FileInfo(big).Length} bytes, over the limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipes_and_devices_in_a_folder_are_not_read_forever()
    {
        using var folder = new CatalogFolder();
        folder.Write("real.yaml", CatalogFolder.Component("beside-a-pipe"));
        File.CreateSymbolicLink(Path.Combine(folder.Root, "zero.yaml"), "/dev/zero");
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(folder.Root, "pipe.yaml")))
        {
            await mkfifo.WaitForExitAsync(Cancellation);
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var clock = Stopwatch.StartNew();

        var outcome = await app.Get<LocationService>().RegisterAsync("file", folder.Root, Cancellation);

        Assert.True(clock.Elapsed < Bound, $"took {clock.Elapsed}");
        Assert.Equal(["component:default/beside-a-pipe"], outcome.EntityRefs);
    }
}
