using System.Net;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>
/// JSON may escape a lone surrogate (<c>\ud800</c>), which no .NET string can hold: such a body is refused as the
/// client's error, naming where, instead of failing a handler as an unexpected 500.
/// </summary>
public sealed class Reading_unreadable_text(PortalApp app) : IClassFixture<PortalApp>
{
    [Theory]
    [InlineData("/entities/by-query", """{"query": {"kind": "\ud800"}}""", "query.kind")]
    [InlineData("/entities/by-refs", """{"entityRefs": ["component:default/a", "\udc00"]}""", "entityRefs[1]")]
    [InlineData("/locations?dryRun=true", """{"type": "url", "target": "https://example.com/\ud800"}""", "target")]
    public async Task A_lone_surrogate_in_a_body_is_refused_400_naming_where(string path, string body, string where)
    {
        using var api = new CatalogApiClient(app.CreateClient());

        var response = await api.PostAsync(path, body);

        CatalogApiClient.AssertError(response, HttpStatusCode.BadRequest, "InputError", $"{where} is not valid UTF-16 text");
    }
}
