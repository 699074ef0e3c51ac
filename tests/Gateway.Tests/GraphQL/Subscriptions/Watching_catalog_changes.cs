using System.Text.Json.Nodes;
using Portal.Catalog.Entities;
using Portal.Catalog.Locations;

namespace Portal.Gateway.Tests.GraphQL.Subscriptions;

public sealed class Watching_catalog_changes(ChangeFeedApp app) : IClassFixture<ChangeFeedApp>
{
    [Fact]
    public async Task A_filtered_subscription_hears_created_updated_and_deleted_for_the_entities_it_selects_only()
    {
        using var folder = new DescriptorFolder();
        var file = folder.Write("catalog-info.yaml",
            DescriptorFolder.Component("checkout", "team-a") + DescriptorFolder.Component("billing", "team-b"));
        await app.WaitForChangesToArriveAsync();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        await socket.SubscribeAsync("team-a", """
            subscription Watch($filter: [EntityFilterInput!]) { entityChanged(filter: $filter) { change ref catalogVersion at } }
            """, JsonNode.Parse("""{"filter":[{"kind":["Component"],"owner":["team-a"]}]}"""));
        await app.WaitForSubscribersAsync(1);
        var locations = app.Get<LocationService>();
        var cancellationToken = TestContext.Current.CancellationToken;

        var location = await locations.RegisterAsync("file", folder.Path, cancellationToken);
        var created = await socket.ReceiveAsync();
        folder.Write("catalog-info.yaml",
            DescriptorFolder.Component("checkout", "team-a", "now with refunds") + DescriptorFolder.Component("billing", "team-b", "also changed"));
        await locations.RefreshAsync(location.Location.Id, cancellationToken);
        var updated = await socket.ReceiveAsync();
        File.WriteAllText(file, DescriptorFolder.Component("billing", "team-b", "also changed"));
        await locations.RefreshAsync(location.Location.Id, cancellationToken);
        var deleted = await socket.ReceiveAsync();

        Assert.Equal(("team-a", "CREATED", "component:default/checkout"), ChangeMessages.Read(created));
        Assert.Equal(("team-a", "UPDATED", "component:default/checkout"), ChangeMessages.Read(updated));
        Assert.Equal(("team-a", "DELETED", "component:default/checkout"), ChangeMessages.Read(deleted));
        var versions = new[] { created, updated, deleted }.Select(m => (long)m["payload"]!["data"]!["entityChanged"]!["catalogVersion"]!).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(3, versions.Distinct().Count());
    }

    [Fact]
    public async Task Without_a_filter_every_change_is_heard_including_writes_through_the_api()
    {
        await app.WaitForChangesToArriveAsync(); // earlier tests' changes are not this subscriber's
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        await socket.SubscribeAsync("all", "subscription { entityChanged { change ref } }");
        await app.WaitForSubscribersAsync(1);
        var entities = app.Get<EntityService>();
        var cancellationToken = TestContext.Current.CancellationToken;
        JsonObject Group(string description) => (JsonObject)JsonNode.Parse($$$"""
            {"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"api-team","description":"{{{description}}}"},
             "spec":{"type":"team","children":[]}}
            """)!;

        await entities.UpsertAsync(Group("first"), null, "test", cancellationToken);
        var created = await socket.ReceiveAsync();
        await entities.UpsertAsync(Group("second"), null, "test", cancellationToken);
        var updated = await socket.ReceiveAsync();
        await entities.DeleteAsync("group:default/api-team", null, "test", cancellationToken);
        var deleted = await socket.ReceiveAsync();

        Assert.Equal(("all", "CREATED", "group:default/api-team"), ChangeMessages.Read(created));
        Assert.Equal(("all", "UPDATED", "group:default/api-team"), ChangeMessages.Read(updated));
        Assert.Equal(("all", "DELETED", "group:default/api-team"), ChangeMessages.Read(deleted));
    }

    [Fact]
    public async Task A_deletion_is_heard_by_a_filter_on_the_kind_but_not_by_one_on_another_kind()
    {
        using var folder = new DescriptorFolder();
        folder.Write("catalog-info.yaml", DescriptorFolder.Component("ledger", "team-c"));
        var locations = app.Get<LocationService>();
        var cancellationToken = TestContext.Current.CancellationToken;
        var location = await locations.RegisterAsync("file", folder.Path, cancellationToken);
        await app.WaitForChangesToArriveAsync();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        await socket.SubscribeAsync("apis", """subscription { entityChanged(filter: [{ kind: ["API"] }]) { change ref } }""");
        await socket.SubscribeAsync("components", """subscription { entityChanged(filter: [{ kind: ["component"], type: ["service"] }]) { change ref } }""");
        await app.WaitForSubscribersAsync(2);

        await locations.UnregisterAsync(location.Location.Id, cancellationToken);
        var deleted = await socket.ReceiveAsync();
        await socket.AssertSilentAsync(TimeSpan.FromMilliseconds(500));

        Assert.Equal(("components", "DELETED", "component:default/ledger"), ChangeMessages.Read(deleted));
    }

    [Fact]
    public async Task A_completed_subscription_hears_nothing_more_while_the_others_on_the_socket_go_on()
    {
        await app.WaitForChangesToArriveAsync();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        await socket.SubscribeAsync("stopped", "subscription { entityChanged { change ref } }");
        await socket.SubscribeAsync("running", "subscription { entityChanged { change ref } }");
        await app.WaitForSubscribersAsync(2);

        await socket.SendAsync("""{"type":"complete","id":"stopped"}""");
        await app.WaitForSubscribersAsync(1);
        await app.Get<EntityService>().UpsertAsync((JsonObject)JsonNode.Parse("""
            {"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"after-complete"},"spec":{"type":"team","children":[]}}
            """)!, null, "test", TestContext.Current.CancellationToken);
        var heard = await socket.ReceiveAsync();

        Assert.Equal(("running", "CREATED", "group:default/after-complete"), ChangeMessages.Read(heard));
        await socket.AssertSilentAsync(TimeSpan.FromMilliseconds(500));
    }
}
