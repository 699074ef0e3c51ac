using System.Diagnostics;
using System.IO.Enumeration;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Octokit;

namespace Portal.Catalog.Locations;

/// <summary>
/// <c>git</c> targets, written <c>REPOSITORY#REF:PATH</c>: a local repository (bare or not) read with the git command
/// line, or a GitHub repository URL read through Octokit. PATH is a file or a folder (its descriptor files, recursively).
/// Local repositories follow the same folder rules as <c>file</c> targets; GitHub URLs must name the configured host,
/// which must also be on <c>Catalog:Locations:AllowedHosts</c>.
/// </summary>
internal sealed partial class GitTargetReader(IOptions<CatalogOptions> options, IHostEnvironment environment) : ILocationTargetReader
{
    private static readonly TimeSpan GitTimeout = TimeSpan.FromSeconds(30);
    private const int MaxErrorCharacters = 4 * 1024;
    private const int MaxAlternatesBytes = 64 * 1024;
    private const int MaxConfigurationBytes = 64 * 1024;

    // git follows objects/info/alternates of alternates to a nesting depth of 5 and ignores deeper ones (with an
    // error); the catalog refuses a chain past that depth instead, so it never checks fewer folders than git reads.
    private const int MaxAlternateDepth = 5;
    private const int MaxAlternates = 64;

    // Loose objects are checked for links one directory entry at a time (readdir gives the type; no file is opened).
    // That is cheap but grows with the repository, so it is bounded: git packs loose objects at 6,700 (gc.auto), and a
    // repository holding far more than that is refused rather than scanned without limit.
    private const int MaxLooseObjects = 100_000;

    // Configuration given on the command line wins over the repository's own: nothing a repository says is run. The
    // repository's configuration is also refused outright when it sets any of these (see ConfigurationRefusal): this
    // list still holds should it change between that check and a later git command.
    private static readonly string[] SafeConfiguration =
    [
        "-c", "core.hooksPath=/dev/null",
        "-c", "core.fsmonitor=false",
        "-c", "core.pager=cat",
        "-c", "core.askPass=",
        "-c", "core.attributesFile=/dev/null",
        "-c", "diff.external=",
        "-c", "protocol.allow=never",

        // A protocol's own setting outranks protocol.allow, so the ones a local repository could name are set too.
        "-c", "protocol.file.allow=never",
        "-c", "protocol.ext.allow=never",
        "-c", "core.sshCommand=false",
        "-c", "credential.helper=",
    ];

    // One client for every read: each GitHubClient owns an HttpClient, and a new one per refresh would leave its
    // connections open until the garbage collector found it.
    private readonly Lazy<GitHubClient> _gitHub = new(() => CreateGitHubClient(options.Value.Locations));
    private static readonly string[] DescriptorExtensions = [".yaml", ".yml", ".json"];

    public string Type => "git";

    public async Task<string> ValidateAsync(string target, CancellationToken cancellationToken)
    {
        var parsed = Parse(target);
        if (parsed.GitHub is null)
        {
            // Where the repository really keeps its data is known only by asking git: bounded by the git timeout and by
            // the caller's token (a request's time limit), which stops git.
            var files = new FileTargetReader(options, environment);
            await LocateAsync(files, files.Validate(parsed.Repository), parsed, cancellationToken);
        }

        return parsed.ToString();
    }

    public async Task<IReadOnlyList<TargetFile>> ReadAsync(string target, int maxFiles, LocationReadBudget budget, CancellationToken cancellationToken)
    {
        var parsed = Parse(target);
        return parsed.GitHub is { } repository
            ? await ReadGitHubAsync(parsed, repository.Owner, repository.Name, maxFiles, budget, cancellationToken)
            : await ReadLocalAsync(parsed, maxFiles, budget, cancellationToken);
    }

    public bool IsRemote(string target) => Parse(target).GitHub is not null;

    public string Resolve(string declaringSource, string target)
    {
        // A Location inside a git target points at paths of the same repository and ref.
        var parsed = Parse(declaringSource);
        var folder = Path.GetDirectoryName(parsed.Path.Replace('\\', '/')) ?? "";
        var combined = Path.GetFullPath(Path.Combine("/", folder, target))[1..];
        return (parsed with { Path = combined }).ToString();
    }

    private GitTarget Parse(string target)
    {
        var hash = target.LastIndexOf('#');
        var colon = hash < 0 ? -1 : target.IndexOf(':', hash);
        if (hash <= 0 || colon < 0)
        {
            throw new LocationForbiddenException($"'{target}' is not a git target; write REPOSITORY#REF:PATH, e.g. /srv/git/app.git#main:catalog-info.yaml.");
        }

        var repository = target[..hash];
        var reference = target[(hash + 1)..colon];
        var path = target[(colon + 1)..].Trim('/');
        if (!SafeRef().IsMatch(reference) || reference.Contains("..", StringComparison.Ordinal))
        {
            throw new LocationForbiddenException($"'{reference}' is not an acceptable git ref (letters, digits, '.', '_', '/', '-'; not starting with '-').");
        }

        foreach (var (part, value) in new[] { ("repository", repository), ("path", path) })
        {
            if (Array.FindIndex(value.ToCharArray(), char.IsControl) is var at and >= 0)
            {
                // Named, not echoed: the message is stored with the location, and PostgreSQL cannot store some of these.
                throw new LocationForbiddenException(
                    $"The {part} of the git target has a control character (U+{(int)value[at]:X4}) at position {at + 1}.");
            }
        }

        if (path.Split('/').Any(segment => segment is ".." || segment.StartsWith('-')))
        {
            throw new LocationForbiddenException($"The path '{path}' may not contain '..' or segments starting with '-'.");
        }

        (string Owner, string Name)? gitHub = null;
        if (Uri.TryCreate(repository, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            var github = options.Value.Locations.GitHub;
            if (!string.Equals(uri.Host, github.Host, StringComparison.OrdinalIgnoreCase)
                || !UrlTargetReader.IsAllowedHost(uri.Host, options.Value.Locations.AllowedHosts))
            {
                throw new LocationForbiddenException(
                    $"The host {uri.Host} is not allowed; git repository URLs must name {github.Host} and be on Catalog:Locations:AllowedHosts.");
            }

            // Owner, name and path become parts of API URLs: escapes, '..' or a '?' would address another endpoint.
            var segments = uri.AbsolutePath.Trim('/').Split('/');
            var name = segments.Length == 2 && segments[1].EndsWith(".git", StringComparison.Ordinal) ? segments[1][..^4] : segments[^1];
            if (segments.Length != 2 || uri.Query.Length > 0 || uri.UserInfo.Length > 0
                || !GitHubName().IsMatch(segments[0]) || !GitHubName().IsMatch(name) || name is "." or "..")
            {
                throw new LocationForbiddenException($"'{repository}' is not a repository URL (https://{github.Host}/OWNER/REPOSITORY).");
            }

            if (path.AsSpan().ContainsAny("?%\\"))
            {
                throw new LocationForbiddenException($"The path '{path}' may not contain '?', '%' or '\\' in a GitHub repository.");
            }

            gitHub = (segments[0], name);
        }
        else
        {
            repository = Path.GetFullPath(repository);
        }

        return new GitTarget(repository, reference, path, gitHub);
    }

    private async Task<IReadOnlyList<TargetFile>> ReadLocalAsync(GitTarget target, int maxFiles, LocationReadBudget budget, CancellationToken cancellationToken)
    {
        // Located again, not only when the target was validated: a .git file or alternates may change between reads.
        var files = new FileTargetReader(options, environment);
        var gitDirectory = await LocateAsync(files, files.Validate(target.Repository), target, cancellationToken);
        var objectName = $"{target.Reference}:{target.Path}";
        var type = (await GitAsync(gitDirectory, ["cat-file", "-t", objectName], target, cancellationToken)).Trim();
        List<string> paths;
        if (type == "tree")
        {
            // Entries of the tree itself (no pathspec, so no work tree is involved), with their types: only blobs are
            // files. A gitlink ("commit") named like a descriptor would otherwise be shown as a commit, with a patch
            // that runs the repository's textconv commands.
            paths = [];
            foreach (var entry in (await GitAsync(gitDirectory, ["ls-tree", "-r", "-z", objectName], target, cancellationToken)).Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                var tab = entry.IndexOf('\t', StringComparison.Ordinal);
                var fields = tab < 0 ? [] : entry[..tab].Split(' ');
                var path = tab < 0 ? "" : entry[(tab + 1)..];
                if (fields is [_, "blob", _] && DescriptorExtensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase))
                {
                    paths.Add(target.Path.Length == 0 ? path : $"{target.Path}/{path}");
                }
            }
        }
        else if (type == "blob")
        {
            paths = [target.Path];
        }
        else
        {
            throw new LocationReadException($"{target} is a {type}, not a descriptor file or a folder.");
        }

        if (paths.Count > maxFiles)
        {
            throw new LocationReadException($"{target} holds more than {maxFiles} descriptor files (Catalog:Locations:MaxFiles).");
        }

        var read = new List<TargetFile>(paths.Count);
        foreach (var path in paths)
        {
            var source = target with { Path = path };
            try
            {
                // cat-file is plumbing: the blob's bytes as stored, never through textconv, filters or a pager.
                read.Add(new TargetFile(source.ToString(), await GitAsync(gitDirectory, ["cat-file", "blob", $"{target.Reference}:{path}"], source, cancellationToken, budget: budget)));
            }
            catch (LocationReadException exception) when (type == "tree")
            {
                // One bad file in a folder is that file's problem; the others are still read.
                read.Add(TargetFile.Unreadable(source.ToString(), exception.Message));
            }
        }

        return read;
    }

    /// <summary>
    /// Where the repository at <paramref name="repository"/> really keeps its data, refused unless every part lies under
    /// the file roots: a <c>.git</c> file (<c>gitdir: /elsewhere</c>), a linked worktree's common directory, a
    /// linked objects folder, alternates (and theirs) and the work tree can each lead out of a folder that is itself
    /// under a root, and so can a symbolic link inside an objects folder. The repository's configuration is refused
    /// when it can run a program or include another file. Returns the git directory, links resolved, which every later
    /// command names: what is read is what was checked.
    /// </summary>
    private async Task<string> LocateAsync(FileTargetReader files, string repository, GitTarget target, CancellationToken cancellationToken)
    {
        // git has read the repository's configuration (includes too) by the time it answers; it runs nothing of it
        // (SafeConfiguration), and the configuration is checked below before any object is read.
        var lines = (await GitAsync(repository, ["rev-parse", "--absolute-git-dir", "--git-common-dir", "--is-inside-work-tree"], target, cancellationToken, discover: true))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length != 3)
        {
            throw new LocationReadException($"{target} cannot be read: git did not say where the repository is.");
        }

        var gitDirectory = FileTargetReader.RealPath(lines[0]);
        files.RequireUnderRoots(target.ToString(), gitDirectory, "git directory");
        var commonDirectory = FileTargetReader.RealPath(Path.GetFullPath(lines[1], repository));
        files.RequireUnderRoots(target.ToString(), commonDirectory, "git common directory");
        var objects = Path.Combine(commonDirectory, "objects");
        files.RequireUnderRoots(target.ToString(), objects, "git objects");
        if (lines[2] == "true")
        {
            var workTree = (await GitAsync(repository, ["rev-parse", "--show-toplevel"], target, cancellationToken, discover: true)).Trim();
            files.RequireUnderRoots(target.ToString(), workTree, "work tree");
        }

        await RequireSafeConfigurationAsync(files, gitDirectory, commonDirectory, target, cancellationToken);
        if (!environment.IsDevelopment())
        {
            await RequireConfinedObjectsAsync(files, FileTargetReader.RealPath(objects), target, cancellationToken);
        }

        return gitDirectory;
    }

    /// <summary>
    /// Every objects folder git reads for the repository, each checked before it is trusted: the repository's own, then
    /// the ones its <c>objects/info/alternates</c> lists, and theirs, to git's own depth. Each must really lie under a
    /// root and hold no symbolic link (<see cref="RequireNoLinks"/>); a chain deeper than git follows, a loop, or more
    /// than <see cref="MaxAlternates"/> folders is refused.
    /// </summary>
    private static async Task RequireConfinedObjectsAsync(FileTargetReader files, string objects, GitTarget target, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { objects };
        var chain = new List<string> { objects };
        await VisitAsync(objects, 0);

        async Task VisitAsync(string directory, int depth)
        {
            // Links first: the alternates file read next is one of the entries checked.
            RequireNoLinks(directory, target);
            foreach (var alternate in await AlternatesAsync(directory, target, cancellationToken))
            {
                files.RequireUnderRoots(target.ToString(), alternate, "git objects (through objects/info/alternates)");
                var real = FileTargetReader.RealPath(alternate);
                if (chain.Contains(real))
                {
                    throw new LocationForbiddenException(
                        $"{target} cannot be read: the alternates of its git objects loop ({string.Join(" -> ", chain)} -> {real}).");
                }

                if (!seen.Add(real))
                {
                    continue;
                }

                if (depth + 1 > MaxAlternateDepth)
                {
                    throw new LocationForbiddenException(
                        $"{target} cannot be read: its git objects borrow through alternates more than {MaxAlternateDepth} levels deep ({string.Join(" -> ", chain)} -> {real}).");
                }

                if (seen.Count > MaxAlternates + 1)
                {
                    throw new LocationForbiddenException($"{target} cannot be read: its git objects borrow from more than {MaxAlternates} alternate folders.");
                }

                if (Directory.Exists(real))
                {
                    chain.Add(real);
                    await VisitAsync(real, depth + 1);
                    chain.RemoveAt(chain.Count - 1);
                }
            }
        }
    }

    /// <summary>
    /// Refuses an objects folder holding a symbolic link where git reads: its own entries, <c>pack/*</c>, <c>info/*</c>
    /// (and <c>info/commit-graphs/*</c>), the fan-out folders and the loose objects in them. git never makes links
    /// there, and one would read another repository's objects (or any file) from outside the roots.
    /// </summary>
    private static void RequireNoLinks(string objects, GitTarget target)
    {
        var loose = 0;
        foreach (var entry in Entries(objects, target))
        {
            var path = Path.Combine(objects, entry.Name);
            if (entry.IsLink)
            {
                throw Linked(target, path);
            }

            if (!entry.IsDirectory)
            {
                continue;
            }

            var fanOut = entry.Name.Length == 2 && Uri.IsHexDigit(entry.Name[0]) && Uri.IsHexDigit(entry.Name[1]);
            if (!fanOut && entry.Name is not ("pack" or "info"))
            {
                continue;
            }

            foreach (var inner in Entries(path, target))
            {
                if (fanOut && ++loose > MaxLooseObjects)
                {
                    throw new LocationForbiddenException(
                        $"{target} cannot be read: its git objects {objects} hold more than {MaxLooseObjects} loose objects; pack them (git gc) first.");
                }

                if (inner.IsLink)
                {
                    throw Linked(target, Path.Combine(path, inner.Name));
                }

                if (entry.Name == "info" && inner.Name == "commit-graphs" && inner.IsDirectory)
                {
                    foreach (var graph in Entries(Path.Combine(path, inner.Name), target))
                    {
                        if (graph.IsLink)
                        {
                            throw Linked(target, Path.Combine(path, inner.Name, graph.Name));
                        }
                    }
                }
            }
        }

        static LocationForbiddenException Linked(GitTarget target, string path) => new(
            $"{target} cannot be read: {path} is a symbolic link (to {new FileInfo(path).LinkTarget}), and the catalog follows no link inside git objects.");
    }

    /// <summary>The entries of a folder, named, as the directory listing types them (a link is not followed).</summary>
    private static List<(string Name, bool IsLink, bool IsDirectory)> Entries(string folder, GitTarget target)
    {
        try
        {
            return new FileSystemEnumerable<(string, bool, bool)>(
                folder,
                (ref entry) => (entry.FileName.ToString(), (entry.Attributes & FileAttributes.ReparsePoint) != 0, entry.IsDirectory),
                new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false }).ToList();
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new LocationReadException($"{target} cannot be read: {folder} cannot be listed ({exception.Message}).");
        }
    }

    /// <summary>
    /// Refuses a repository whose own configuration (<c>config</c>, and <c>config.worktree</c> of the common and the
    /// git directory) includes another file or sets a key that can run a program or send git to another file or
    /// place (see <see cref="ConfigurationRefusal"/>). Each file must lie under a root and be at most
    /// <see cref="MaxConfigurationBytes"/>; git itself lists it (<c>--no-includes</c>), so it is parsed as git parses it.
    /// </summary>
    private async Task RequireSafeConfigurationAsync(
        FileTargetReader files, string gitDirectory, string commonDirectory, GitTarget target, CancellationToken cancellationToken)
    {
        string[] candidates = [Path.Combine(commonDirectory, "config"), Path.Combine(commonDirectory, "config.worktree"), Path.Combine(gitDirectory, "config.worktree")];
        foreach (var file in candidates.Distinct(StringComparer.Ordinal))
        {
            if (!File.Exists(file))
            {
                continue;
            }

            files.RequireUnderRoots(target.ToString(), file, "git configuration");
            var real = FileTargetReader.RealPath(file);
            if (new FileInfo(real).Length > MaxConfigurationBytes)
            {
                throw new LocationForbiddenException($"{target} cannot be read: its git configuration {real} is larger than {MaxConfigurationBytes} bytes.");
            }

            var listing = await GitAsync(gitDirectory, ["config", "--file", real, "--no-includes", "--list", "-z"], target, cancellationToken);
            foreach (var item in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
            {
                var newline = item.IndexOf('\n', StringComparison.Ordinal);
                var key = newline < 0 ? item : item[..newline];
                var value = newline < 0 ? "" : item[(newline + 1)..];
                if (ConfigurationRefusal(key, value) is { } why)
                {
                    throw new LocationForbiddenException(
                        $"{target} cannot be read: its git configuration {real} sets {key}, which {why}; the catalog reads no repository whose configuration can.");
                }
            }
        }
    }

    /// <summary>
    /// Why a key of a repository's configuration is refused, or null. The catalog runs only plumbing (rev-parse,
    /// cat-file, ls-tree, config), which needs none of these; refusing them, rather than trusting that no git command
    /// it runs ever honours them, keeps a repository data whatever git version reads it.
    /// </summary>
    /// <param name="key">As git lists it: section and name lower-case, a subsection as written.</param>
    /// <param name="value">The value (empty for a key without one).</param>
    internal static string? ConfigurationRefusal(string key, string value)
    {
        var first = key.IndexOf('.', StringComparison.Ordinal);
        var last = key.LastIndexOf('.');
        if (first < 0)
        {
            return null;
        }

        const string Runs = "can run a program";
        const string Redirects = "sends git to another file or place";
        var section = key[..first].ToLowerInvariant();
        var subsection = first == last ? null : key[(first + 1)..last];
        var name = key[(last + 1)..].ToLowerInvariant();
        return (section, subsection, name) switch
        {
            ("include" or "includeif", _, _) => "includes another file",
            ("filter" or "uploadpack" or "pager" or "alias", _, _) => Runs,
            ("diff", null, "external") or ("diff", not null, "textconv" or "command") or ("merge", not null, "driver") => Runs,
            ("core", null, "fsmonitor") when !IsBoolean(value) => Runs,
            ("core", null, "sshcommand" or "gitproxy" or "askpass" or "editor" or "pager" or "alternaterefscommand") => Runs,
            ("core", null, "hookspath") => Runs,
            ("core", null, "attributesfile" or "excludesfile") => Redirects,
            ("remote", not null, "uploadpack" or "receivepack" or "vcs") => Runs,
            ("credential", _, "helper") or ("gpg", _, "program") or ("sequence", null, "editor") => Runs,
            ("submodule", not null, "update") when value.StartsWith('!') => Runs,
            ("protocol", _, _) => Redirects,
            _ => null,
        };

        static bool IsBoolean(string value) =>
            value.Length == 0 || value.ToLowerInvariant() is "true" or "false" or "yes" or "no" or "on" or "off" or "1" or "0";
    }

    /// <summary>The object folders listed in <c>objects/info/alternates</c>, absolute; git reads objects from them too.</summary>
    private static async Task<IReadOnlyList<string>> AlternatesAsync(string objects, GitTarget target, CancellationToken cancellationToken)
    {
        var file = new FileInfo(Path.Combine(objects, "info", "alternates"));
        if (!file.Exists)
        {
            return [];
        }

        if (file.Length > MaxAlternatesBytes)
        {
            throw new LocationReadException($"{target} cannot be read: {file.FullName} is larger than {MaxAlternatesBytes} bytes.");
        }

        var alternates = new List<string>();
        foreach (var line in await File.ReadAllLinesAsync(file.FullName, cancellationToken))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // git unquotes C-style quoted paths; rather than parse them the same way, such a repository is not read.
            if (line.StartsWith('"'))
            {
                throw new LocationForbiddenException($"{target} lists a quoted path in {file.FullName}, which the catalog does not follow.");
            }

            // Relative to the objects folder whose file lists it, links resolved, as git resolves it.
            alternates.Add(Path.GetFullPath(line, objects));
        }

        return alternates;
    }

    /// <summary>
    /// Runs git and returns its output, which may not exceed the descriptor size limit: output is read as it comes and
    /// git is stopped at the limit, so a huge blob never sits in memory. git is stopped on timeout and cancellation too.
    /// </summary>
    /// <remarks>
    /// A repository is data, never code: git is run without system, global or user configuration (no HOME), with no
    /// hooks, fsmonitor, external diff, pager or transport (a partial clone's lazy fetch would run the repository's
    /// configured upload-pack), no replace refs, and none of the portal's own <c>GIT_*</c> variables. safe.directory is
    /// left as git has it: a repository another user owns is refused by git.
    /// </remarks>
    /// <param name="repository">With <paramref name="discover"/>, the folder git looks for a repository from; else the git directory found.</param>
    /// <param name="arguments">The git command and its arguments.</param>
    /// <param name="source">The target read, for messages.</param>
    /// <param name="cancellationToken">Stops git.</param>
    /// <param name="discover">Whether git finds the repository itself (only to locate it: see <see cref="LocateAsync"/>).</param>
    /// <param name="budget">For a descriptor file's bytes: the location read's budget they are taken from.</param>
    private async Task<string> GitAsync(
        string repository, IReadOnlyList<string> arguments, GitTarget source, CancellationToken cancellationToken, bool discover = false,
        LocationReadBudget? budget = null)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        string[] location = discover ? ["-C", repository] : ["-C", repository, "--git-dir=."];
        foreach (var argument in (string[])[.. location, "--no-pager", .. SafeConfiguration, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.Where(key => key.StartsWith("GIT_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_ATTR_NOSYSTEM"] = "1";
        start.Environment["GIT_NO_REPLACE_OBJECTS"] = "1";
        start.Environment["GIT_NO_LAZY_FETCH"] = "1";
        start.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        start.Environment["HOME"] = "/dev/null";
        start.Environment["XDG_CONFIG_HOME"] = "/dev/null";
        var maxBytes = options.Value.Descriptors.MaxFileBytes;
        using var process = Process.Start(start) ?? throw new LocationReadException("git could not be started.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(GitTimeout);
        try
        {
            var stderr = ReadBoundedAsync(process.StandardError, MaxErrorCharacters, timeout.Token);
            var output = new StringBuilder();
            var buffer = new char[16 * 1024];
            int read;
            while ((read = await process.StandardOutput.ReadAsync(buffer, timeout.Token)) > 0)
            {
                // Characters, not bytes: a UTF-8 text never has more characters than bytes, and the descriptor reader
                // checks the exact byte count again.
                if (output.Length + read > maxBytes)
                {
                    throw new LocationReadException($"{source} is over the limit of {maxBytes} bytes (Catalog:Descriptors:MaxFileBytes).");
                }

                budget?.Take(Encoding.UTF8.GetByteCount(buffer, 0, read));
                output.Append(buffer, 0, read);
            }

            await process.WaitForExitAsync(timeout.Token);
            if (process.ExitCode != 0)
            {
                throw new LocationReadException($"{source} cannot be read: {(await stderr).Trim()}");
            }

            return output.ToString();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LocationReadException($"Reading {source} took longer than {GitTimeout.TotalSeconds} s.");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>The first <paramref name="limit"/> characters of a stream, reading (and dropping) the rest so git never blocks on it.</summary>
    private static async Task<string> ReadBoundedAsync(StreamReader reader, int limit, CancellationToken cancellationToken)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
        {
            kept.Append(buffer, 0, Math.Min(read, limit - kept.Length));
        }

        return kept.ToString();
    }

    private async Task<IReadOnlyList<TargetFile>> ReadGitHubAsync(
        GitTarget target, string owner, string name, int maxFiles, LocationReadBudget budget, CancellationToken cancellationToken)
    {
        var client = _gitHub.Value;
        try
        {
            var files = new List<TargetFile>();
            var folders = new Queue<string>([target.Path]);
            var listed = 0;
            while (folders.TryDequeue(out var folder))
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Every folder costs a request: a tree of empty folders is bounded like a tree of files.
                if (++listed > maxFiles)
                {
                    throw new LocationReadException($"{target} holds more than {maxFiles} folders and files (Catalog:Locations:MaxFiles).");
                }

                IReadOnlyList<RepositoryContent> contents = folder.Length == 0
                    ? await client.Repository.Content.GetAllContentsByRef(owner, name, target.Reference)
                    : await client.Repository.Content.GetAllContentsByRef(owner, name, folder, target.Reference);

                // The contents API answers a file path with that one file, and a folder path with its entries.
                if (listed == 1 && contents.Count == 1 && contents[0].Type == ContentType.File && contents[0].Path == target.Path)
                {
                    return [await DownloadAsync(client, owner, name, contents[0], target, budget)];
                }

                foreach (var entry in contents)
                {
                    if (entry.Type == ContentType.Dir)
                    {
                        folders.Enqueue(entry.Path);
                    }
                    else if (entry.Type == ContentType.File && DescriptorExtensions.Contains(Path.GetExtension(entry.Path), StringComparer.OrdinalIgnoreCase))
                    {
                        if (files.Count >= maxFiles)
                        {
                            throw new LocationReadException($"{target} holds more than {maxFiles} descriptor files (Catalog:Locations:MaxFiles).");
                        }

                        try
                        {
                            files.Add(await DownloadAsync(client, owner, name, entry, target, budget));
                        }
                        catch (LocationReadException exception)
                        {
                            // One bad file in a folder is that file's problem; the others are still read.
                            files.Add(TargetFile.Unreadable((target with { Path = entry.Path }).ToString(), exception.Message));
                        }
                    }
                }
            }

            return files;
        }
        catch (NotFoundException)
        {
            throw new LocationReadException($"{target} not found (404): check the repository, ref and path, and the token's access.");
        }
        catch (ApiException exception) when (RateLimitedFor(exception) is { } wait)
        {
            throw new LocationReadException($"{target} cannot be read now: GitHub rate limited this client {wait}.");
        }
        catch (ApiException exception)
        {
            throw new LocationReadException($"{target} cannot be read: GitHub answered {(int)exception.StatusCode} {exception.Message}");
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new LocationReadException($"{target} cannot be read: GitHub did not answer ({exception.Message}).");
        }
    }

    private static GitHubClient CreateGitHubClient(LocationOptions locations)
    {
        var client = new GitHubClient(new ProductHeaderValue("portal-catalog"), locations.GitHub.ApiUrl);
        client.SetRequestTimeout(locations.ReadTimeout);
        if (!string.IsNullOrEmpty(locations.GitHub.Token))
        {
            client.Credentials = new Credentials(locations.GitHub.Token);
        }

        return client;
    }

    /// <summary>The file's bytes; the size the listing gave is checked first, so an oversized file is never downloaded.</summary>
    private async Task<TargetFile> DownloadAsync(
        GitHubClient client, string owner, string name, RepositoryContent entry, GitTarget target, LocationReadBudget budget)
    {
        var source = target with { Path = entry.Path };
        var maxBytes = options.Value.Descriptors.MaxFileBytes;
        if (entry.Size > maxBytes)
        {
            throw new LocationReadException($"{source} is {entry.Size} bytes, over the limit of {maxBytes} bytes (Catalog:Descriptors:MaxFileBytes).");
        }

        // The listed size is checked against the read's budget too, so a file past it is never downloaded.
        budget.Require(entry.Size);
        var raw = await client.Repository.Content.GetRawContentByRef(owner, name, entry.Path, target.Reference)
            ?? throw new LocationReadException($"{source} cannot be read: GitHub sent no raw content for it.");
        if (raw.Length > maxBytes)
        {
            throw new LocationReadException($"{source} is over the limit of {maxBytes} bytes (Catalog:Descriptors:MaxFileBytes).");
        }

        budget.Take(raw.Length);
        return new TargetFile(source.ToString(), Encoding.UTF8.GetString(raw));
    }

    /// <summary>
    /// How long GitHub asks the client to wait ("until 2026-01-01 10:00:00Z"), or null when the failure is not rate
    /// limiting. GitHub signals its primary limit with 403 or 429 and <c>x-ratelimit-remaining: 0</c>, and its
    /// secondary limits with 403 or 429 and <c>retry-after</c>; Octokit recognises only some of these by their text.
    /// </summary>
    private static string? RateLimitedFor(ApiException exception)
    {
        var headers = exception.HttpResponse?.Headers;
        string? Header(string header) => headers?.FirstOrDefault(h => string.Equals(h.Key, header, StringComparison.OrdinalIgnoreCase)).Value;
        var status = (int)exception.StatusCode;
        var limited = exception is RateLimitExceededException or SecondaryRateLimitExceededException or AbuseException
            || status == 429
            || (status == 403 && (Header("x-ratelimit-remaining") == "0" || Header("retry-after") is not null));
        if (!limited)
        {
            return null;
        }

        if (long.TryParse(Header("x-ratelimit-reset"), out var epoch))
        {
            return $"until {DateTimeOffset.FromUnixTimeSeconds(epoch):u}";
        }

        return int.TryParse(Header("retry-after"), out var seconds) ? $"for {seconds} s" : "for now";
    }

    [GeneratedRegex("^[A-Za-z0-9._/][A-Za-z0-9._/-]*$")]
    private static partial Regex SafeRef();

    /// <summary>GitHub's characters for owner and repository names.</summary>
    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex GitHubName();

    private sealed record GitTarget(string Repository, string Reference, string Path, (string Owner, string Name)? GitHub)
    {
        public override string ToString() => $"{Repository}#{Reference}:{Path}";
    }
}
