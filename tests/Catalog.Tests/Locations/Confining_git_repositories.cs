using System.Diagnostics;
using System.Runtime.Versioning;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Catalog.Tests.Ingestion;
using Portal.Testing;

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
        Programs.Git(app.Root, "clone", "-q", "--shared", outside, inside);

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{inside}#main:catalog-info.yaml", Cancellation));

        Assert.Contains("keeps its git objects (through objects/info/alternates) in", refused.Message, StringComparison.Ordinal);
        Assert.Null(await Queries.GetAsync("component:default/git-borrowed", Cancellation));
    }

    [Fact]
    public async Task A_repository_whose_alternates_borrow_from_outside_the_roots_through_another_repository_is_refused()
    {
        var outside = Repository(app.Outside, "far-lender", ("catalog-info.yaml", CatalogFolder.Component("git-borrowed-twice")));
        var middle = Path.Combine(app.Root, "middle-" + Suffix());
        Programs.Git(app.Root, "clone", "-q", "--shared", outside, middle);
        var inside = Path.Combine(app.Root, "borrower-" + Suffix());
        Programs.Git(app.Root, "clone", "-q", "--shared", middle, inside);

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{inside}#main:catalog-info.yaml", Cancellation));

        Assert.Equal(
            $"{inside}#main:catalog-info.yaml keeps its git objects (through objects/info/alternates) in {FileTargetReader.RealPath(Path.Combine(outside, ".git", "objects"))}, which is not under an allowed folder (Catalog:Locations:FileRoots).",
            refused.Message);
        Assert.Null(await Queries.GetAsync("component:default/git-borrowed-twice", Cancellation));
    }

    [Fact]
    public async Task Alternates_nested_deeper_than_git_follows_are_refused()
    {
        var repositories = new List<string> { Repository(app.Root, "deep-0", ("catalog-info.yaml", CatalogFolder.Component("git-deep"))) };
        for (var level = 1; level <= 6; level++)
        {
            var next = Path.Combine(app.Root, $"deep-{level}-" + Suffix());
            Programs.Git(app.Root, "clone", "-q", "--shared", repositories[^1], next);
            repositories.Add(next);
        }

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{repositories[^1]}#main:catalog-info.yaml", Cancellation));

        Assert.StartsWith(
            $"{repositories[^1]}#main:catalog-info.yaml cannot be read: its git objects borrow through alternates more than 5 levels deep (",
            refused.Message,
            StringComparison.Ordinal);
        Assert.EndsWith($" -> {FileTargetReader.RealPath(Path.Combine(repositories[0], ".git", "objects"))}).", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Alternates_that_loop_are_refused()
    {
        var lender = Repository(app.Root, "loop-lender", ("catalog-info.yaml", CatalogFolder.Component("git-loop")));
        var borrower = Path.Combine(app.Root, "loop-borrower-" + Suffix());
        Programs.Git(app.Root, "clone", "-q", "--shared", lender, borrower);
        File.WriteAllText(Path.Combine(lender, ".git", "objects", "info", "alternates"), Path.Combine(borrower, ".git", "objects") + "\n");
        var objects = FileTargetReader.RealPath(Path.Combine(borrower, ".git", "objects"));

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{borrower}#main:catalog-info.yaml", Cancellation));

        Assert.Equal(
            $"{borrower}#main:catalog-info.yaml cannot be read: the alternates of its git objects loop ({objects} -> {FileTargetReader.RealPath(Path.Combine(lender, ".git", "objects"))} -> {objects}).",
            refused.Message);
    }

    [Fact]
    public async Task Alternates_in_the_environment_are_not_passed_to_git()
    {
        var outside = Repository(app.Outside, "env-lender", ("catalog-info.yaml", CatalogFolder.Component("git-env-borrowed")));
        var inside = Path.Combine(app.Root, "env-borrower-" + Suffix());
        Programs.Git(app.Root, "clone", "-q", "--shared", outside, inside);
        File.Delete(Path.Combine(inside, ".git", "objects", "info", "alternates"));
        var before = Environment.GetEnvironmentVariable("GIT_ALTERNATE_OBJECT_DIRECTORIES");
        Environment.SetEnvironmentVariable("GIT_ALTERNATE_OBJECT_DIRECTORIES", Path.Combine(outside, ".git", "objects"));
        try
        {
            var unreadable = await Assert.ThrowsAsync<LocationReadException>(() => Locations.RegisterAsync("git", $"{inside}#main:catalog-info.yaml", Cancellation));

            Assert.StartsWith($"{inside}#main:catalog-info.yaml cannot be read: ", unreadable.Message, StringComparison.Ordinal);
            Assert.Null(await Queries.GetAsync("component:default/git-env-borrowed", Cancellation));
        }
        finally
        {
            Environment.SetEnvironmentVariable("GIT_ALTERNATE_OBJECT_DIRECTORIES", before);
        }
    }

    [Theory]
    [InlineData("pack")]
    [InlineData("pack file")]
    [InlineData("fan-out folder")]
    [InlineData("loose object")]
    [UnsupportedOSPlatform("windows")]
    public async Task A_symbolic_link_inside_the_git_objects_is_refused(string linked)
    {
        var outside = Repository(app.Outside, "linked-objects", ("catalog-info.yaml", CatalogFolder.Component("git-linked-objects")));
        if (linked.StartsWith("pack", StringComparison.Ordinal))
        {
            Programs.Git(outside, "repack", "-q", "-a", "-d");
        }

        // A copy, so the inside repository keeps its objects as the outside one does (loose, or packed).
        var inside = Path.Combine(app.Root, "linked-" + Suffix());
        Programs.Run(app.Root, "cp", "-r", outside, inside);
        var insideObjects = Path.Combine(inside, ".git", "objects");
        var outsideObjects = Path.Combine(outside, ".git", "objects");
        var blob = Programs.Git(outside, "rev-parse", "main:catalog-info.yaml").Trim();
        var link = linked switch
        {
            "pack" => Path.Combine(insideObjects, "pack"),
            "pack file" => Path.Combine(insideObjects, "pack", Path.GetFileName(Directory.GetFiles(Path.Combine(insideObjects, "pack"), "*.pack").Single())),
            "fan-out folder" => Path.Combine(insideObjects, blob[..2]),
            _ => Path.Combine(insideObjects, blob[..2], blob[2..]),
        };
        var outsideTarget = linked switch
        {
            "pack" => Path.Combine(outsideObjects, "pack"),
            "pack file" => Directory.GetFiles(Path.Combine(outsideObjects, "pack"), "*.pack").Single(),
            "fan-out folder" => Path.Combine(outsideObjects, blob[..2]),
            _ => Path.Combine(outsideObjects, blob[..2], blob[2..]),
        };
        if (Directory.Exists(link))
        {
            Directory.Delete(link, recursive: true);
        }
        else
        {
            File.Delete(link);
        }

        if (linked == "pack file")
        {
            File.CreateSymbolicLink(link, outsideTarget);
        }
        else
        {
            Directory.CreateSymbolicLink(link, outsideTarget);
        }

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{inside}#main:catalog-info.yaml", Cancellation));

        Assert.Equal(
            $"{inside}#main:catalog-info.yaml cannot be read: {FileTargetReader.RealPath(Path.GetDirectoryName(link)!)}/{Path.GetFileName(link)} is a symbolic link (to {outsideTarget}), and the catalog follows no link inside git objects.",
            refused.Message);
        Assert.Null(await Queries.GetAsync("component:default/git-linked-objects", Cancellation));
    }

    [Theory]
    [InlineData("core.fsmonitor", "SCRIPT", "can run a program")]
    [InlineData("core.hooksPath", "HOOKS", "can run a program")]
    [InlineData("core.pager", "SCRIPT", "can run a program")]
    [InlineData("core.sshCommand", "SCRIPT", "can run a program")]
    [InlineData("core.alternateRefsCommand", "SCRIPT", "can run a program")]
    [InlineData("diff.evil.textconv", "SCRIPT", "can run a program")]
    [InlineData("filter.evil.smudge", "SCRIPT", "can run a program")]
    [InlineData("uploadpack.packObjectsHook", "SCRIPT", "can run a program")]
    [InlineData("credential.helper", "SCRIPT", "can run a program")]
    [InlineData("protocol.file.allow", "always", "sends git to another file or place")]
    [InlineData("core.attributesFile", "OUTSIDE", "sends git to another file or place")]
    [InlineData("include.path", "OUTSIDE", "includes another file")]
    [InlineData("includeIf.gitdir:/.path", "OUTSIDE", "includes another file")]
    [UnsupportedOSPlatform("windows")]
    public async Task A_repository_whose_configuration_can_run_a_program_or_include_a_file_is_refused_and_nothing_runs(string key, string value, string why)
    {
        var (script, marker, hooks) = Script();
        var included = Path.Combine(app.Outside, "included-" + Suffix());
        File.WriteAllText(included, $"[core]\n\tfsmonitor = {script}\n");
        var repository = Repository(app.Root, "configured", ("catalog/a.yaml", CatalogFolder.Component("git-configured-a")));
        Programs.Git(repository, "config", key, value.Replace("SCRIPT", script, StringComparison.Ordinal).Replace("HOOKS", hooks, StringComparison.Ordinal).Replace("OUTSIDE", included, StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(repository, ".git", "info", "attributes"), "*.yaml diff=evil filter=evil\n");

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{repository}#main:catalog", Cancellation));

        Assert.False(File.Exists(marker), "git ran a command the repository configured");
        Assert.Equal(
            $"{repository}#main:catalog cannot be read: its git configuration {FileTargetReader.RealPath(Path.Combine(repository, ".git", "config"))} sets {Programs.Git(repository, "config", "--name-only", "--get-regexp", "^" + key.Replace(".", "\\.", StringComparison.Ordinal) + "$").Trim()}, which {why}; the catalog reads no repository whose configuration can.",
            refused.Message);
        Assert.Null(await Queries.GetAsync("component:default/git-configured-a", Cancellation));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task A_worktree_configuration_that_can_run_a_program_is_refused_too()
    {
        var (_, _, hooks) = Script();
        var repository = Repository(app.Root, "worktree-configured", ("catalog-info.yaml", CatalogFolder.Component("git-worktree-configured")));
        Programs.Git(repository, "config", "extensions.worktreeConfig", "true");
        Programs.Git(repository, "config", "--worktree", "core.hooksPath", hooks);

        var refused = await Assert.ThrowsAsync<LocationForbiddenException>(() => Locations.RegisterAsync("git", $"{repository}#main:catalog-info.yaml", Cancellation));

        Assert.Equal(
            $"{repository}#main:catalog-info.yaml cannot be read: its git configuration {FileTargetReader.RealPath(Path.Combine(repository, ".git", "config.worktree"))} sets core.hookspath, which can run a program; the catalog reads no repository whose configuration can.",
            refused.Message);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task A_repository_under_a_root_is_read_with_its_own_hooks_and_attributes_and_none_of_it_runs()
    {
        var (script, marker, _) = Script();
        var repository = Repository(app.Root, "hooked", ("catalog/a.yaml", CatalogFolder.Component("git-hooked-a")));
        foreach (var hook in (string[])["post-checkout", "post-index-change", "reference-transaction", "pre-auto-gc"])
        {
            File.Copy(script, Path.Combine(repository, ".git", "hooks", hook));
        }

        File.WriteAllText(Path.Combine(repository, ".git", "info", "attributes"), "*.yaml diff=evil\n");

        // A gitlink (a submodule entry) named like a descriptor, pointing at a commit of the repository itself: shown
        // as a commit, with a patch, it would go through the diff machinery.
        var commit = Programs.Git(repository, "rev-parse", "HEAD").Trim();
        Programs.Git(repository, "update-index", "--add", "--cacheinfo", $"160000,{commit},catalog/module.yaml");
        Programs.Git(repository, "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "gitlink");
        File.Delete(marker);

        var folder = await Locations.RegisterAsync("git", $"{repository}#main:catalog", Cancellation);

        Assert.False(File.Exists(marker), "git ran a hook of the repository");
        var gitlink = await Assert.ThrowsAsync<LocationReadException>(() => Locations.RegisterAsync("git", $"{repository}#main:catalog/module.yaml", Cancellation));
        Assert.False(File.Exists(marker), "git ran a hook of the repository");
        Assert.Equal(["component:default/git-hooked-a"], folder.EntityRefs);
        Assert.Empty(folder.Problems);
        Assert.Equal($"{repository}#main:catalog/module.yaml is a commit, not a descriptor file or a folder.", gitlink.Message);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task Locating_a_repository_stops_git_when_the_caller_gives_up()
    {
        var repository = Repository(app.Root, "stalled", ("catalog-info.yaml", CatalogFolder.Component("git-stalled")));
        var fifo = Path.Combine(app.Root, "stalled-config-" + Suffix());
        Assert.Equal(0, Mkfifo(fifo));

        // git opens an included file as it reads the configuration, before it answers where the repository is: a
        // pipe nobody writes to holds it there.
        Programs.Git(repository, "config", "include.path", fifo);
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        giveUp.CancelAfter(TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Locations.RegisterAsync("git", $"{repository}#main:catalog-info.yaml", giveUp.Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        await Eventually.UntilAsync(() => Task.FromResult(GitRunsIn(repository)), running => !running, TimeSpan.FromSeconds(5), "git to stop");
    }

    /// <summary>A script that leaves a marker file when run, and a hooks folder of it; the marker does not exist yet.</summary>
    [UnsupportedOSPlatform("windows")]
    private (string Script, string Marker, string Hooks) Script()
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

        return (script, marker, hooks);
    }

    private static int Mkfifo(string path)
    {
        using var process = Process.Start("mkfifo", [path]);
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Whether a git process of this machine works in <paramref name="folder"/> (git -C moves there).</summary>
    private static bool GitRunsIn(string folder) =>
        Directory.EnumerateDirectories("/proc").Any(process =>
        {
            try
            {
                return File.ReadAllText(Path.Combine(process, "cmdline")).StartsWith("git\0", StringComparison.Ordinal)
                    && new DirectoryInfo(Path.Combine(process, "cwd")).LinkTarget == FileTargetReader.RealPath(folder);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        });

    private static string Suffix() => Guid.NewGuid().ToString("N")[..8];

    /// <summary>A repository with one commit of the files, on branch main, in a new folder of <paramref name="parent"/>.</summary>
    private static string Repository(string parent, string name, params (string Path, string Content)[] files)
    {
        var repository = Path.Combine(parent, $"{name}-{Suffix()}");
        Directory.CreateDirectory(repository);
        Programs.Git(repository, "init", "-q", "-b", "main");
        foreach (var (path, content) in files)
        {
            RootedFiles.Write(repository, path, content);
        }

        Programs.Git(repository, "add", ".");
        Programs.Git(repository, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "catalog");
        return repository;
    }


}
