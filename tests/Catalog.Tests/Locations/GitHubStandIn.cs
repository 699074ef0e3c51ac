using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Portal.Catalog.Tests.Locations;

/// <summary>
/// A local HTTP server that answers GitHub's repository contents API the way GitHub (Enterprise, under
/// <c>/api/v3</c>) does: <c>GET /repos/{owner}/{repo}/contents/{path}?ref=</c> gives a file as JSON with base64
/// <c>content</c>, a folder as a JSON array of its entries, and the file's bytes when asked for the raw media type.
/// Unknown repositories, refs and paths are 404s with GitHub's body; a repository can be told to fail instead.
/// </summary>
public sealed class GitHubStandIn : IAsyncDisposable
{
    private const string Documentation = "https://docs.github.com/rest/repos/contents#get-repository-content";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Dictionary<string, Dictionary<string, string>>> _repositories = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _failures = new(StringComparer.OrdinalIgnoreCase);

    private GitHubStandIn(WebApplication app) => _app = app;

    /// <summary>The API base to configure, as for GitHub Enterprise (<c>http://host:port/api/v3/</c>).</summary>
    public Uri ApiUrl { get; private set; } = null!;

    /// <summary>Every request, as <c>METHOD path?query</c> with its Accept and Authorization headers and the id of its connection.</summary>
    public ConcurrentQueue<(string Request, string Accept, string? Authorization, string Connection)> Requests { get; } = new();

    public static async Task<GitHubStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var standIn = new GitHubStandIn(app);
        app.Run(standIn.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()!.Addresses.First()
            : throw new InvalidOperationException("no server");
        standIn.ApiUrl = new Uri(address + "/api/v3/");
        return standIn;
    }

    /// <summary>Puts the files (path → content) in <paramref name="repository"/> (<c>owner/name</c>) at <paramref name="reference"/>, replacing what was there.</summary>
    public void Publish(string repository, string reference, params (string Path, string Content)[] files)
    {
        var refs = _repositories.GetOrAdd(repository, _ => new(StringComparer.Ordinal));
        lock (refs)
        {
            refs[reference] = files.ToDictionary(f => f.Path, f => f.Content, StringComparer.Ordinal);
        }

        _failures.TryRemove(repository, out _);
    }

    /// <summary>From now on every request for <paramref name="repository"/> is a 404, as for a deleted or hidden repository.</summary>
    public void Remove(string repository) => _repositories.TryRemove(repository, out _);

    /// <summary>GitHub's message when the primary rate limit is spent.</summary>
    public const string RateLimitMessage =
        "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit.)";

    /// <summary>
    /// From now on every request for <paramref name="repository"/> answers what GitHub answers when the primary rate
    /// limit is spent: 403 (or 429), <c>x-ratelimit-remaining: 0</c> and the reset time, with <paramref name="message"/>.
    /// </summary>
    public void RateLimit(string repository, DateTimeOffset reset, int status = 403, string message = RateLimitMessage) => _failures[repository] = async context =>
    {
        context.Response.StatusCode = status;
        context.Response.Headers["x-ratelimit-limit"] = "60";
        context.Response.Headers["x-ratelimit-remaining"] = "0";
        context.Response.Headers["x-ratelimit-used"] = "60";
        context.Response.Headers["x-ratelimit-reset"] = reset.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["x-ratelimit-resource"] = "core";
        await WriteJsonAsync(context, new JsonObject
        {
            ["message"] = message,
            ["documentation_url"] = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        });
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        Requests.Enqueue(($"{request.Method} {request.Path}{request.QueryString}", request.Headers.Accept.ToString(), request.Headers.Authorization.FirstOrDefault(), context.Connection.Id));

        // /api/v3/repos/{owner}/{repo}/contents[/{path}]
        var segments = (request.Path.Value ?? "").Trim('/').Split('/');
        if (request.Method != "GET" || segments.Length < 6 || segments[0] != "api" || segments[1] != "v3" || segments[2] != "repos" || segments[5] != "contents")
        {
            await NotFoundAsync(context);
            return;
        }

        var repository = $"{segments[3]}/{segments[4]}";
        if (_failures.TryGetValue(repository, out var failure))
        {
            await failure(context);
            return;
        }

        var path = string.Join('/', segments[6..]);
        if (!_repositories.TryGetValue(repository, out var refs))
        {
            await NotFoundAsync(context);
            return;
        }

        Dictionary<string, string>? files;
        lock (refs)
        {
            // No ref means the default branch.
            refs.TryGetValue(request.Query["ref"].FirstOrDefault() ?? "main", out files);
        }

        if (files is null)
        {
            await NotFoundAsync(context);
            return;
        }

        if (files.TryGetValue(path, out var content))
        {
            // GitHub answers the raw media type it was asked for (application/vnd.github[.v3].raw) with the bytes.
            if (request.Headers.Accept.FirstOrDefault(a => a?.Contains(".raw", StringComparison.Ordinal) == true) is { } raw)
            {
                context.Response.ContentType = raw.Split(',')[0].Trim();
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(content));
                return;
            }

            var entry = Entry(repository, path, "file", content);
            entry["encoding"] = "base64";
            entry["content"] = string.Join('\n', Convert.ToBase64String(Encoding.UTF8.GetBytes(content)).Chunk(60).Select(c => new string(c))) + "\n";
            await WriteJsonAsync(context, entry);
            return;
        }

        // A folder: its direct entries, files and subfolders, sorted as GitHub sorts them.
        var prefix = path.Length == 0 ? "" : path + "/";
        var children = files.Keys.Where(f => f.StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => f[prefix.Length..].Split('/') is var rest && rest.Length == 1 ? (Name: rest[0], Type: "file") : (Name: rest[0], Type: "dir"))
            .Distinct()
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        if (children.Count == 0)
        {
            await NotFoundAsync(context);
            return;
        }

        await WriteJsonAsync(context, new JsonArray(children
            .Select(c => (JsonNode)Entry(repository, prefix + c.Name, c.Type, c.Type == "file" ? files[prefix + c.Name] : null))
            .ToArray()));
    }

    private JsonObject Entry(string repository, string path, string type, string? content)
    {
        var api = new Uri(ApiUrl, $"repos/{repository}/contents/{path}").AbsoluteUri;
        var html = $"https://github.com/{repository}/{(type == "file" ? "blob" : "tree")}/main/{path}";
        var bytes = content is null ? [] : Encoding.UTF8.GetBytes(content);
#pragma warning disable CA5350 // Git names a blob by the SHA-1 of its header and bytes; it is an identifier here, not security.
        var sha = Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));
#pragma warning restore CA5350
        return new JsonObject
        {
            ["type"] = type,
            ["size"] = bytes.Length,
            ["name"] = path[(path.LastIndexOf('/') + 1)..],
            ["path"] = path,
            ["sha"] = sha,
            ["url"] = api,
            ["git_url"] = new Uri(ApiUrl, $"repos/{repository}/git/{(type == "file" ? "blobs" : "trees")}/{sha}").AbsoluteUri,
            ["html_url"] = html,
            ["download_url"] = type == "file" ? $"https://raw.githubusercontent.com/{repository}/main/{path}" : null,
            ["_links"] = new JsonObject { ["self"] = api, ["git"] = null, ["html"] = html },
        };
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = 404;
        return WriteJsonAsync(context, new JsonObject { ["message"] = "Not Found", ["documentation_url"] = Documentation, ["status"] = "404" });
    }

    private static async Task WriteJsonAsync(HttpContext context, JsonNode body)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }
}
