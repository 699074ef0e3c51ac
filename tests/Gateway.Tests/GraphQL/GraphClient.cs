using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>A GraphQL-over-HTTP client as a script would write one: POST JSON, read the response.</summary>
public sealed class GraphClient(HttpClient http) : IDisposable
{
    public async Task<GraphResponse> PostAsync(string query, object? variables = null, string? operationName = null, string? traceParent = null)
    {
        var body = new JsonObject { ["query"] = query };
        if (variables is not null)
        {
            body["variables"] = JsonSerializer.SerializeToNode(variables);
        }

        if (operationName is not null)
        {
            body["operationName"] = operationName;
        }

        return await PostRawAsync(body.ToJsonString(), traceParent);
    }

    public async Task<GraphResponse> PostRawAsync(string body, string? traceParent = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/graphql-response+json"));
        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return new GraphResponse(response.StatusCode, text, JsonNode.Parse(text)!.AsObject())
        {
            RetryAfter = response.Headers.RetryAfter?.ToString(),
        };
    }

    public void Dispose() => http.Dispose();
}

public sealed record GraphResponse(HttpStatusCode Status, string Text, JsonObject Json)
{
    public JsonNode Data => Json["data"] ?? throw new InvalidOperationException($"no data in {Text}");

    public JsonArray Errors => Json["errors"] as JsonArray ?? [];

    /// <summary>The response's <c>Retry-After</c> header, if it has one.</summary>
    public string? RetryAfter { get; init; }

    /// <summary>The data of a response that must have succeeded.</summary>
    public JsonNode Ok()
    {
        Assert.True(Status == HttpStatusCode.OK && Json["errors"] is null, $"expected success, got {(int)Status}: {Text}");
        return Data;
    }

    /// <summary>The first error, which must carry <paramref name="code"/>.</summary>
    public JsonNode Error(string code)
    {
        Assert.True(Errors.Count > 0, $"expected an error {code}, got: {Text}");
        var error = Errors[0]!;
        Assert.True((string?)error["extensions"]?["code"] == code, $"expected code {code}, got: {Text}");
        return error;
    }
}
