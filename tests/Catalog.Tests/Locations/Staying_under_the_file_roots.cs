using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

namespace Portal.Catalog.Tests.Locations;

/// <summary>
/// The production posture for file locations: outside Development only <c>Catalog:Locations:FileRoots</c> may be read.
/// The roots are <see cref="Root"/> and <see cref="LinkedRoot"/> (a symbolic link to a folder beside them);
/// <see cref="Outside"/> is a folder beside them that holds what must never be read.
/// </summary>
public sealed class RootedFiles : ModuleHost
{
    private readonly string _base = Path.Combine(Path.GetTempPath(), "portal-roots-" + Guid.NewGuid().ToString("N")[..10]);

    public string Root => Path.Combine(_base, "root");

    public string LinkedRoot => Path.Combine(_base, "linked-root");

    public string Outside => Path.Combine(_base, "outside");

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["environment"] = "Production",
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Catalog:Locations:FileRoots:0"] = Root,
        ["Catalog:Locations:FileRoots:1"] = LinkedRoot,
    };

    public override async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Outside);
        Directory.CreateDirectory(Path.Combine(_base, "real-root"));
        Directory.CreateSymbolicLink(LinkedRoot, Path.Combine(_base, "real-root"));
        await base.InitializeAsync();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(_base, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Writes a file under <paramref name="folder"/>, creating its folders, and returns its path.</summary>
    public static string Write(string folder, string name, string content)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }
}

public sealed class Staying_under_the_file_roots(RootedFiles app) : IClassFixture<RootedFiles>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private LocationService Locations => app.Get<LocationService>();

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    [Fact]
    public async Task A_file_under_a_root_is_read()
    {
        var file = RootedFiles.Write(app.Root, "plain/catalog-info.yaml", CatalogFolder.Component("rooted-plain"));

        var outcome = await Locations.RegisterAsync("file", file, Cancellation);

        Assert.Equal(["component:default/rooted-plain"], outcome.EntityRefs);
    }

    [Fact]
    public async Task A_path_that_climbs_out_of_the_root_is_refused()
    {
        RootedFiles.Write(app.Outside, "climb/catalog-info.yaml", CatalogFolder.Component("climbed-out"));
        var target = app.Root + "/../outside/climb/catalog-info.yaml";

        var error = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("file", target, Cancellation));

        Assert.Contains("is not under an allowed folder", error.Message, StringComparison.Ordinal);
        Assert.Null(await Queries.GetAsync("component:default/climbed-out", Cancellation));
    }

    [Fact]
    public async Task A_link_under_the_root_to_a_file_outside_is_refused()
    {
        var secret = RootedFiles.Write(app.Outside, "file-link/secret.yaml", CatalogFolder.Component("linked-file-secret"));
        var link = Path.Combine(app.Root, "file-link.yaml");
        File.CreateSymbolicLink(link, secret);

        var error = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("file", link, Cancellation));

        Assert.Contains($"{link} leads to {secret} through a symbolic link", error.Message, StringComparison.Ordinal);
        Assert.Null(await Queries.GetAsync("component:default/linked-file-secret", Cancellation));
    }

    [Fact]
    public async Task A_link_under_the_root_to_a_folder_outside_is_refused()
    {
        var secret = RootedFiles.Write(app.Outside, "folder-link/secret.yaml", CatalogFolder.Component("linked-folder-secret"));
        var link = Path.Combine(app.Root, "folder-link");
        Directory.CreateSymbolicLink(link, Path.GetDirectoryName(secret)!);

        var viaFolder = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("file", link, Cancellation));
        var viaFile = await Assert.ThrowsAsync<LocationForbiddenException>(() =>
            Locations.RegisterAsync("file", Path.Combine(link, "secret.yaml"), Cancellation));

        Assert.Contains("through a symbolic link", viaFolder.Message, StringComparison.Ordinal);
        Assert.Contains("through a symbolic link", viaFile.Message, StringComparison.Ordinal);
        Assert.Null(await Queries.GetAsync("component:default/linked-folder-secret", Cancellation));
    }

    [Fact]
    public async Task Inside_a_registered_folder_links_out_are_refused_file_by_file_and_linked_folders_are_not_entered()
    {
        var folder = Path.Combine(app.Root, "mixed");
        RootedFiles.Write(folder, "good.yaml", CatalogFolder.Component("mixed-good"));
        var secretFile = RootedFiles.Write(app.Outside, "mixed/secret-file.yaml", CatalogFolder.Component("mixed-secret-file"));
        RootedFiles.Write(app.Outside, "mixed/deeper/secret-folder.yaml", CatalogFolder.Component("mixed-secret-folder"));
        File.CreateSymbolicLink(Path.Combine(folder, "out.yaml"), secretFile);
        Directory.CreateSymbolicLink(Path.Combine(folder, "out-folder"), Path.Combine(app.Outside, "mixed", "deeper"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "loop"), folder);

        var outcome = await Locations.RegisterAsync("file", folder, Cancellation);

        Assert.Equal(["component:default/mixed-good"], outcome.EntityRefs);
        var problem = Assert.Single(outcome.Problems);
        Assert.Equal(Path.Combine(folder, "out.yaml"), problem.Source);
        Assert.Contains("through a symbolic link", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Location_entity_cannot_point_out_of_the_root()
    {
        RootedFiles.Write(app.Outside, "targets/secret.yaml", CatalogFolder.Component("targeted-secret"));
        var file = RootedFiles.Write(app.Root, "targets/catalog-info.yaml", """
            apiVersion: backstage.io/v1alpha1
            kind: Location
            metadata:
              name: climbing-location
            spec:
              targets: [../../outside/targets/secret.yaml]
            """);

        var outcome = await Locations.RegisterAsync("file", file, Cancellation);

        var problem = Assert.Single(outcome.Problems);
        Assert.Contains("is not under an allowed folder", problem.Message, StringComparison.Ordinal);
        Assert.Null(await Queries.GetAsync("component:default/targeted-secret", Cancellation));
    }

    [Fact]
    public async Task Links_that_stay_under_the_roots_are_followed_and_a_root_may_itself_be_a_link()
    {
        var inside = RootedFiles.Write(app.LinkedRoot, "linked/real.yaml", CatalogFolder.Component("through-linked-root"));
        var link = Path.Combine(app.Root, "to-linked-root.yaml");
        File.CreateSymbolicLink(link, inside);

        var direct = await Locations.RegisterAsync("file", inside, Cancellation);
        var viaLink = await Locations.PreviewAsync("file", link, Cancellation);

        Assert.Equal(["component:default/through-linked-root"], direct.EntityRefs);
        Assert.Equal(["component:default/through-linked-root"], viaLink.Entities.Select(e => e.Ref.Canonical));
    }

    [Fact]
    public async Task A_loop_of_links_is_a_read_error_not_a_hang()
    {
        var a = Path.Combine(app.Root, "loop-a.yaml");
        var b = Path.Combine(app.Root, "loop-b.yaml");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);

        var error = await Assert.ThrowsAsync<LocationReadException>(() => Locations.RegisterAsync("file", a, Cancellation));

        Assert.Contains("symbolic links", error.Message, StringComparison.Ordinal);
    }
}
