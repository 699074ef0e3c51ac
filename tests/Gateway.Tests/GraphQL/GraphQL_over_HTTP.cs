using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Portal.Gateway.Tests.GraphQL;

public sealed class GraphQL_over_HTTP(PortalApp app) : IClassFixture<PortalApp>
{
    private const string GraphQLResponse = "application/graphql-response+json";

    [Fact]
    public async Task A_POST_of_typename_answers_Query()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query":"{ __typename }"}""", accept: GraphQLResponse),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(GraphQLResponse, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"data":{"__typename":"Query"}}""", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_GET_with_the_query_in_the_url_answers_too()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/graphql?query=%7B__typename%7D", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"data":{"__typename":"Query"}}""", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Without_an_Accept_header_the_legacy_json_media_type_is_used()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query":"{ __typename }"}""", accept: null),
            TestContext.Current.CancellationToken);

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unsupported_Accept_header_is_406()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query":"{ __typename }"}""", accept: "text/html"),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task A_body_that_is_not_json_content_is_415()
    {
        using var client = app.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("{ __typename }", Encoding.UTF8, "text/plain"),
        };

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Theory]
    [InlineData(GraphQLResponse)]
    [InlineData("application/json")]
    public async Task Malformed_json_is_400_with_an_error_saying_so(string accept)
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query": "{ __typename }" """, accept), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = await FirstErrorMessageAsync(response);
        Assert.Contains("not valid JSON", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_query_is_400()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"variables":{}}""", GraphQLResponse), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'query'", await FirstErrorMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_document_is_400_under_the_graphql_response_media_type()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query":"{ noSuchField }"}""", GraphQLResponse), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("noSuchField", await FirstErrorMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_document_is_200_under_the_legacy_media_type()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query":"{ noSuchField }"}""", "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("noSuchField", await FirstErrorMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_syntax_error_names_where_it_is()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query":"{ __typename "}""", GraphQLResponse), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var error = body.RootElement.GetProperty("errors")[0];
        Assert.True(error.TryGetProperty("locations", out _), "a syntax error carries its location");
    }

    [Fact]
    public async Task A_mutation_over_GET_is_405_with_Allow_POST()
    {
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/graphql?query=mutation%7B__typename%7D", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task A_batch_is_refused_unless_batching_is_configured()
    {
        using var client = app.CreateClient();
        var batch = "[" + string.Join(',', Enumerable.Repeat("""{"query":"{ __typename }"}""", 500)) + "]";

        using var response = await client.SendAsync(Post(batch, GraphQLResponse), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Batched requests", await FirstErrorMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413()
    {
        using var client = app.CreateClient();
        var huge = """{"query":"{ __typename }","variables":{"pad":""" + "\"" + new string('x', 300 * 1024) + "\"}}";

        using var response = await client.SendAsync(Post(huge, GraphQLResponse), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Variables_that_are_not_an_object_are_400()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query":"{ __typename }","variables":[1]}""", GraphQLResponse),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'variables'", await FirstErrorMessageAsync(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_operation_name_is_400()
    {
        using var client = app.CreateClient();

        using var response = await client.SendAsync(Post("""{"query":"query A { __typename }","operationName":"B"}""", GraphQLResponse),
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("B", await FirstErrorMessageAsync(response), StringComparison.Ordinal);
    }

    private static HttpRequestMessage Post(string body, string? accept)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        return request;
    }

    private static async Task<string> FirstErrorMessageAsync(HttpResponseMessage response)
    {
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return body.RootElement.GetProperty("errors")[0].GetProperty("message").GetString()!;
    }
}

/// <summary>With batching switched on, a batch is still bounded.</summary>
public sealed class Batching_when_allowed(Batching_when_allowed.BatchingPortal portal) : IClassFixture<Batching_when_allowed.BatchingPortal>
{
    [Fact]
    public async Task A_batch_within_the_limit_answers_each_operation_and_a_batch_of_500_is_400_naming_the_limit()
    {
        using var client = portal.CreateClient();

        using var small = await client.PostAsync("/graphql", new StringContent(
            "[" + string.Join(',', Enumerable.Repeat("""{"query":"{ __typename }"}""", 3)) + "]", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        using var large = await client.PostAsync("/graphql", new StringContent(
            "[" + string.Join(',', Enumerable.Repeat("""{"query":"{ __typename }"}""", 500)) + "]", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        using var answers = JsonDocument.Parse(await small.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(3, answers.RootElement.GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, large.StatusCode);
        Assert.Contains("between 1 and 10 operations; this one holds 500", await large.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    public sealed class BatchingPortal : PortalApp
    {
        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
            ["Graph:AllowBatching"] = "true",
        };
    }
}
