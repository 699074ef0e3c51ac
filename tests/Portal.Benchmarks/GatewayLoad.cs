using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Portal.Benchmarks;

/// <summary>
/// The same catalog queries through the gateway's real HTTP surface (GraphQL over HTTP and Backstage's REST API),
/// over keep-alive connections, one per caller. The client runs on the same two cores as the gateway and PostgreSQL,
/// so these figures include its cost too.
/// </summary>
internal sealed class GatewayLoad : IDisposable
{
    private readonly HttpClient _http;

    public GatewayLoad(Uri baseAddress, int connections)
    {
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = baseAddress,
        };
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/graphql-response+json"));
    }

    /// <summary>Posts one GraphQL operation and fails loudly on any error, so a broken query cannot look fast.</summary>
    public async Task GraphQLAsync(string query, object variables)
    {
        var body = JsonSerializer.Serialize(new { query, variables });
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync("/graphql", content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK || bytes.AsSpan().IndexOf("\"errors\""u8) >= 0)
        {
            throw new InvalidOperationException($"GraphQL answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)[..Math.Min(bytes.Length, 500)]}");
        }
    }

    public async Task PostJsonAsync(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(path, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK || bytes.AsSpan().IndexOf("\"errors\""u8) >= 0)
        {
            throw new InvalidOperationException($"POST {path} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)[..Math.Min(bytes.Length, 500)]}");
        }
    }

    public async Task GetAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)[..Math.Min(bytes.Length, 500)]}");
        }
    }

    /// <summary>Sends one request (a null body is a GET, else a GraphQL POST) and returns its answer; fails unless it is a 200
    /// without GraphQL errors.</summary>
    public async Task<JsonDocument> ReadJsonAsync(string path, string? body)
    {
        using var content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json");
        using var response = body is null ? await _http.GetAsync(path) : await _http.PostAsync(path, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.OK || (body is not null && bytes.AsSpan().IndexOf("\"errors\""u8) >= 0))
        {
            throw new InvalidOperationException($"{path} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)[..Math.Min(bytes.Length, 300)]}");
        }

        return JsonDocument.Parse(bytes);
    }

    /// <summary>
    /// Sends one request that should be refused (a null body is a GET), and fails unless its answer carries
    /// <paramref name="marker"/> (the limit's error code or message): what the refused lines of the benchmark then
    /// send thousands of times, checked once by its whole answer. Returns the status, the time it took and the message.
    /// </summary>
    public async Task<(int Status, double Milliseconds, string Answer)> RefusedAsync(string path, string? body, string marker)
    {
        using var content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json");
        var clock = Stopwatch.StartNew();
        using var response = body is null ? await _http.GetAsync(path) : await _http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        var milliseconds = clock.Elapsed.TotalMilliseconds;
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidOperationException($"{(body is null ? "GET" : "POST")} {path[..Math.Min(path.Length, 100)]} was not refused with {marker}: it answered {(int)response.StatusCode} {text[..Math.Min(text.Length, 500)]}");
        }

        // The message around the marker, enough to read which limit refused it.
        var message = text[Math.Max(0, at - 120)..Math.Min(text.Length, at + marker.Length + 120)];
        return ((int)response.StatusCode, milliseconds, message);
    }

    public void Dispose() => _http.Dispose();
}
