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
            new FileTargetReader(options, environment).Validate(parsed.Repository);
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
        var repository = new FileTargetReader(options, environment).Validate(target.Repository);
        var type = (await GitAsync(repository, ["cat-file", "-t", $"{target.Reference}:{target.Path}"], target, cancellationToken)).Trim();
        var paths = type == "tree"
            ? (await GitAsync(repository, ["ls-tree", "-r", "--name-only", "-z", target.Reference, "--", target.Path.Length == 0 ? "." : target.Path], target, cancellationToken))
                .Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Where(p => DescriptorExtensions.Contains(Path.GetExtension(p), StringComparer.OrdinalIgnoreCase))
                .ToList()
            : [target.Path];
        if (paths.Count > maxFiles)
        {
            throw new LocationReadException($"{target} holds more than {maxFiles} descriptor files (Catalog:Locations:MaxFiles).");
        }

        var files = new List<TargetFile>(paths.Count);
        foreach (var path in paths)
        {
            var source = target with { Path = path };
            try
            {
                files.Add(new TargetFile(source.ToString(), await GitAsync(repository, ["show", $"{target.Reference}:{path}"], source, cancellationToken)));
            }
            catch (LocationReadException exception) when (type == "tree")
            {
                // One bad file in a folder is that file's problem; the others are still read.
                files.Add(TargetFile.Unreadable(source.ToString(), exception.Message));
            }
        }

        return files;
    }

    /// <summary>
    /// Runs git and returns its output, which may not exceed the descriptor size limit: output is read as it comes and
    /// git is stopped at the limit, so a huge blob never sits in memory. git is stopped on timeout and cancellation too.
    /// </summary>
    private async Task<string> GitAsync(string repository, IReadOnlyList<string> arguments, GitTarget source, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-C", repository, "--no-pager", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        // Never ask for credentials or run hooks from a repository's config on behalf of a catalog read.
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        var maxBytes = options.Value.Descriptors.MaxFileBytes;
        using var process = Process.Start(start) ?? throw new LocationReadException("git could not be started.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(GitTimeout);
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
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
