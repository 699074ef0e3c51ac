using System.Diagnostics;
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

    // Configuration given on the command line wins over the repository's own: nothing a repository says is run.
    private static readonly string[] SafeConfiguration =
    [
        "-c", "core.hooksPath=/dev/null",
        "-c", "core.fsmonitor=false",
        "-c", "core.pager=cat",
        "-c", "diff.external=",
        "-c", "protocol.allow=never",
        "-c", "core.sshCommand=false",
        "-c", "credential.helper=",
    ];

    // One client for every read: each GitHubClient owns an HttpClient, and a new one per refresh would leave its
    // connections open until the garbage collector found it.
    private readonly Lazy<GitHubClient> _gitHub = new(() => CreateGitHubClient(options.Value.Locations));
    private static readonly string[] DescriptorExtensions = [".yaml", ".yml", ".json"];

    public string Type => "git";

    public string Validate(string target)
    {
        var parsed = Parse(target);
        if (parsed.GitHub is null)
        {
            // Where the repository really keeps its data is known only by asking git: one short call, bounded by the
            // git timeout. Validate is synchronous, and no synchronization context runs here, so waiting is safe.
            var files = new FileTargetReader(options, environment);
            LocateAsync(files, files.Validate(parsed.Repository), parsed, CancellationToken.None).GetAwaiter().GetResult();
        }

        return parsed.ToString();
    }

    public async Task<IReadOnlyList<TargetFile>> ReadAsync(string target, int maxFiles, CancellationToken cancellationToken)
    {
        var parsed = Parse(target);
        return parsed.GitHub is { } repository
            ? await ReadGitHubAsync(parsed, repository.Owner, repository.Name, maxFiles, cancellationToken)
            : await ReadLocalAsync(parsed, maxFiles, cancellationToken);
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

    private async Task<IReadOnlyList<TargetFile>> ReadLocalAsync(GitTarget target, int maxFiles, CancellationToken cancellationToken)
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
                read.Add(new TargetFile(source.ToString(), await GitAsync(gitDirectory, ["cat-file", "blob", $"{target.Reference}:{path}"], source, cancellationToken)));
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
    /// linked objects folder, alternates and the work tree can each lead out of a folder that is itself under a root.
    /// Returns the git directory, links resolved, which every later command names: what is read is what was checked.
    /// </summary>
    private async Task<string> LocateAsync(FileTargetReader files, string repository, GitTarget target, CancellationToken cancellationToken)
    {
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

        foreach (var alternate in await AlternatesAsync(FileTargetReader.RealPath(objects), target, cancellationToken))
        {
            files.RequireUnderRoots(target.ToString(), alternate, "git objects (through objects/info/alternates)");
        }

        return gitDirectory;
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
            throw new LocationReadException($"{target} cannot be read: its objects/info/alternates is larger than {MaxAlternatesBytes} bytes.");
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
                throw new LocationForbiddenException($"{target} lists a quoted path in objects/info/alternates, which the catalog does not follow.");
            }

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
    private async Task<string> GitAsync(
        string repository, IReadOnlyList<string> arguments, GitTarget source, CancellationToken cancellationToken, bool discover = false)
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
        GitTarget target, string owner, string name, int maxFiles, CancellationToken cancellationToken)
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
                    return [await DownloadAsync(client, owner, name, contents[0], target)];
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
                            files.Add(await DownloadAsync(client, owner, name, entry, target));
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
    private async Task<TargetFile> DownloadAsync(GitHubClient client, string owner, string name, RepositoryContent entry, GitTarget target)
    {
        var source = target with { Path = entry.Path };
        var maxBytes = options.Value.Descriptors.MaxFileBytes;
        if (entry.Size > maxBytes)
        {
            throw new LocationReadException($"{source} is {entry.Size} bytes, over the limit of {maxBytes} bytes (Catalog:Descriptors:MaxFileBytes).");
        }

        var raw = await client.Repository.Content.GetRawContentByRef(owner, name, entry.Path, target.Reference)
            ?? throw new LocationReadException($"{source} cannot be read: GitHub sent no raw content for it.");
        return raw.Length > maxBytes
            ? throw new LocationReadException($"{source} is over the limit of {maxBytes} bytes (Catalog:Descriptors:MaxFileBytes).")
            : new TargetFile(source.ToString(), Encoding.UTF8.GetString(raw));
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
