using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>What a client sees of one response: status, parsed JSON body (Undefined when empty) and headers.</summary>
internal sealed record ApiResponse(HttpStatusCode Status, JsonElement Json, HttpResponseHeaders Headers, string? MediaType)
{
    /// <summary>The <c>metadata.name</c> of each item of a <c>{items}</c> body.</summary>
    public List<string> ItemNames() => Json.GetProperty("items").EnumerateArray().Select(Name).ToList();

    public static string Name(JsonElement entity) => entity.GetProperty("metadata").GetProperty("name").GetString()!;
}

/// <summary>A client of the catalog REST API, as a Backstage CatalogClient would call it (paths relative to /api/catalog).</summary>
internal sealed class CatalogApiClient(HttpClient http) : IDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public Task<ApiResponse> GetAsync(string path, string? traceParent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, Url(path));
        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }

        return SendAsync(request);
    }

    public Task<ApiResponse> DeleteAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Delete, Url(path)));

    public Task<ApiResponse> PostAsync(string path, string body, string contentType = "application/json") =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, Url(path)) { Content = new StringContent(body, Encoding.UTF8, contentType) });

    public void Dispose() => http.Dispose();

    /// <summary>Asserts Backstage's error body: <c>{error: {name, message}, request: {method, url}, response: {statusCode}}</c>.</summary>
    public static string AssertError(ApiResponse response, HttpStatusCode status, string name, string messagePart)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/json", response.MediaType);
        var error = response.Json.GetProperty("error");
        Assert.Equal(name, error.GetProperty("name").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains(messagePart, message, StringComparison.Ordinal);
        Assert.Equal((int)status, response.Json.GetProperty("response").GetProperty("statusCode").GetInt32());
        Assert.StartsWith("/api/catalog/", response.Json.GetProperty("request").GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(response.Json.GetProperty("request").GetProperty("method").GetString()));
        return message;
    }

    private static string Url(string path) => "/api/catalog" + path;

    private async Task<ApiResponse> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, Cancellation);
            var text = await response.Content.ReadAsStringAsync(Cancellation);
            var json = default(JsonElement);
            if (text.Length > 0)
            {
                using var document = JsonDocument.Parse(text);
                json = document.RootElement.Clone();
            }

            return new ApiResponse(response.StatusCode, json, response.Headers, response.Content.Headers.ContentType?.MediaType);
        }
    }
}
