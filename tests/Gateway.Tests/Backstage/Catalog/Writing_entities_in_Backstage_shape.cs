using System.Text.Json;
using Portal.Catalog.Queries;
using Portal.Gateway.Backstage.Catalog;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>The one writer of Backstage's entity JSON, which REST streams and GraphQL's descriptor answers with.</summary>
public sealed class Writing_entities_in_Backstage_shape(AcmeCatalogApp app) : IClassFixture<AcmeCatalogApp>
{
    [Fact]
    public async Task Entities_come_back_in_Backstage_shape()
    {
        var entity = await app.Get<EntityQueryService>().GetAsync("component:default/payments-api", TestContext.Current.CancellationToken);

        var json = EntityJson.ToElement(entity!);

        var metadata = json.GetProperty("metadata");
        Assert.Equal("default", metadata.GetProperty("namespace").GetString());
        Assert.Equal(entity!.Uid.ToString(), metadata.GetProperty("uid").GetString());
        Assert.Equal("Payments API", metadata.GetProperty("title").GetString());
        Assert.Contains(json.GetProperty("relations").EnumerateArray(), r => r.GetProperty("type").GetString() == "ownedBy");
        Assert.Equal(JsonValueKind.Object, json.GetProperty("spec").ValueKind);
    }
}
