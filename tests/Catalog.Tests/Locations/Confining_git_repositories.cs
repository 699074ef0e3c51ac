using System.Diagnostics;
using System.Runtime.Versioning;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;

namespace Portal.Catalog.Tests.Locations;

/// <summary>
/// Local git locations under <c>Catalog:Locations:FileRoots</c> are read only where the repository really is under a
/// root, and reading one never runs anything the repository configures. Real git, real repositories.
/// </summary>
public sealed class Confining_git_repositories(RootedFiles app) : IClassFixture<RootedFiles>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private LocationService Locations => app.Get<LocationService>();

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    [Fact]
    public async Task A_repository_whose_git_file_points_outside_the_roots_is_refused()
    {
        var outside = Repository(app.Outside, "secret", ("catalog-info.yaml", CatalogFolder.Component("git-outside-secret")));
        var inside = Path.Combine(app.Root, "gitdir-" + Suffix());
        Directory.CreateDirectory(inside);
        File.WriteAllText(Path.Combine(inside, ".git"), $"gitdir: {Path.Combine(outside, ".git")}\n");

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{inside}#main:catalog-info.yaml", Cancellation));

        Assert.Equal(
            $"{inside}#main:catalog-info.yaml keeps its git directory in {FileTargetReader.RealPath(Path.Combine(outside, ".git"))}, which is not under an allowed folder (Catalog:Locations:FileRoots).",
            refused.Message);
        Assert.Null(await Queries.GetAsync("component:default/git-outside-secret", Cancellation));
    }

    [Fact]
    public async Task A_repository_that_borrows_objects_from_outside_the_roots_is_refused()
    {
        var outside = Repository(app.Outside, "lender", ("catalog-info.yaml", CatalogFolder.Component("git-borrowed")));
        var inside = Path.Combine(app.Root, "borrower-" + Suffix());
        Git(app.Root, "clone", "-q", "--shared", outside, inside);

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{inside}#main:catalog-info.yaml", Cancellation));

        Assert.Contains("keeps its git objects (through objects/info/alternates) in", refused.Message, StringComparison.Ordinal);
        Assert.Null(await Queries.GetAsync("component:default/git-borrowed", Cancellation));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task A_repository_under_a_root_is_read_whatever_it_configures_and_none_of_it_runs()
    {
        var marker = Path.Combine(app.Outside, "ran-" + Suffix());
        var script = Path.Combine(app.Outside, "script-" + Suffix());
        File.WriteAllText(script, $"#!/bin/sh\ntouch {marker}\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var hooks = Path.Combine(app.Outside, "hooks-" + Suffix());
        Directory.CreateDirectory(hooks);
        foreach (var hook in (string[])["post-checkout", "post-index-change", "reference-transaction", "pre-auto-gc"])
        {
            File.Copy(script, Path.Combine(hooks, hook));
        }

        var repository = Repository(app.Root, "configured", ("catalog/a.yaml", CatalogFolder.Component("git-configured-a")));
        Git(repository, "config", "core.fsmonitor", script);
        Git(repository, "config", "core.hooksPath", hooks);
        Git(repository, "config", "core.pager", script);
        Git(repository, "config", "diff.evil.textconv", script);
        File.WriteAllText(Path.Combine(repository, ".git", "info", "attributes"), "*.yaml diff=evil\n");

        // A gitlink (a submodule entry) named like a descriptor, pointing at a commit of the repository itself:
        // shown as a commit, with a patch, it would run the textconv command above.
        var commit = GitOutput(repository, "rev-parse", "HEAD").Trim();
        Git(repository, "update-index", "--add", "--cacheinfo", $"160000,{commit},catalog/module.yaml");
        Git(repository, "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "gitlink");
        File.Delete(marker);

        var folder = await Locations.RegisterAsync("git", $"{repository}#main:catalog", Cancellation);

        Assert.False(File.Exists(marker), "git ran a command the repository configured");
        var gitlink = await Assert.ThrowsAsync<LocationReadException>(() => Locations.RegisterAsync("git", $"{repository}#main:catalog/module.yaml", Cancellation));
        Assert.False(File.Exists(marker), "git ran a command the repository configured");
        Assert.Equal(["component:default/git-configured-a"], folder.EntityRefs);
        Assert.Empty(folder.Problems);
        Assert.Equal($"{repository}#main:catalog/module.yaml is a commit, not a descriptor file or a folder.", gitlink.Message);
    }

    private static string Suffix() => Guid.NewGuid().ToString("N")[..8];

    /// <summary>A repository with one commit of the files, on branch main, in a new folder of <paramref name="parent"/>.</summary>
    private static string Repository(string parent, string name, params (string Path, string Content)[] files)
    {
        var repository = Path.Combine(parent, $"{name}-{Suffix()}");
        Directory.CreateDirectory(repository);
        Git(repository, "init", "-q", "-b", "main");
        foreach (var (path, content) in files)
        {
            RootedFiles.Write(repository, path, content);
        }

        Git(repository, "add", ".");
        Git(repository, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "catalog");
        return repository;
    }

    private static void Git(string directory, params string[] arguments) => GitOutput(directory, arguments);

    private static string GitOutput(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {process.StandardError.ReadToEnd()}");
        return output;
    }
}
