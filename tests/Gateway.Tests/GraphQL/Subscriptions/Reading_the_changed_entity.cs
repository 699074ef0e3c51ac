using Portal.Catalog.Locations;

namespace Portal.Gateway.Tests.GraphQL.Subscriptions;

/// <summary>The gateway with an execution time limit far shorter than a subscription lives.</summary>
public sealed class ShortTimeLimitApp : ChangeFeedApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings => [new("Graph:ExecutionTimeout", "00:00:01")];
}

public sealed class Reading_the_changed_entity(ShortTimeLimitApp app) : IClassFixture<ShortTimeLimitApp>
{
    [Fact]
    public async Task Each_event_shows_the_entity_as_it_is_then_with_its_relations_and_null_once_deleted()
    {
        using var folder = new DescriptorFolder();
        var file = folder.Write("catalog-info.yaml", DescriptorFolder.Component("ledger", "team-l", "first") + Group("team-l"));
        await app.WaitForChangesToArriveAsync();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        await socket.SubscribeAsync("ledger", """
            subscription {
              entityChanged(filter: [{ kind: ["Component"] }]) {
                change ref at entity { ref description ... on Component { owner { ref description } } }
              }
            }
            """);
        await app.WaitForSubscribersAsync(1);
        var locations = app.Get<LocationService>();
        var cancellationToken = TestContext.Current.CancellationToken;

        var location = await locations.RegisterAsync("file", folder.Path, cancellationToken);
        var created = await socket.ReceiveAsync();

        // Longer than the execution time limit: a subscription is not an operation that times out.
        await Task.Delay(TimeSpan.FromSeconds(1.5), cancellationToken);
        File.WriteAllText(file, DescriptorFolder.Component("ledger", "team-l", "second") + Group("team-l", "renamed team"));
        await locations.RefreshAsync(location.Location.Id, cancellationToken);
        var updated = await socket.ReceiveAsync();
        File.WriteAllText(file, Group("team-l", "renamed team"));
        await locations.RefreshAsync(location.Location.Id, cancellationToken);
        var deleted = await socket.ReceiveAsync();

        var first = created["payload"]!["data"]!["entityChanged"]!;
        var second = updated["payload"]!["data"]!["entityChanged"]!;
        var third = deleted["payload"]!["data"]!["entityChanged"]!;
        Assert.Equal("first", (string?)first["entity"]!["description"]);
        Assert.Equal("group:default/team-l", (string?)first["entity"]!["owner"]!["ref"]);
        Assert.True(DateTimeOffset.TryParse((string?)first["at"], out _), $"at is not a date: {first["at"]}");
        Assert.Equal("second", (string?)second["entity"]!["description"]);
        Assert.Equal("renamed team", (string?)second["entity"]!["owner"]!["description"]);
        Assert.Equal("DELETED", (string?)third["change"]);
        Assert.Null(third["entity"]);
    }

    [Fact]
    public async Task A_burst_of_changes_arrives_in_order_each_event_with_its_entity()
    {
        // A location of 60 components: the bus delivers their changes together, and each event reads its entity and
        // owner. The events run one at a time, in the order of the changes.
        using var folder = new DescriptorFolder();
        folder.Write("catalog-info.yaml", string.Concat(Enumerable.Range(0, 60).Select(i => DescriptorFolder.Component($"burst-{i:D2}", "team-b", $"number {i}"))) + Group("team-b"));
        await app.WaitForChangesToArriveAsync();
        await using var socket = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
        await socket.SubscribeAsync("burst", """
            subscription {
              entityChanged(filter: [{ kind: ["Component"], owner: ["team-b"] }]) {
                ref catalogVersion entity { description ... on Component { owner { ref } } }
              }
            }
            """);
        await app.WaitForSubscribersAsync(1);

        await app.Get<LocationService>().RegisterAsync("file", folder.Path, TestContext.Current.CancellationToken);
        var events = new List<System.Text.Json.Nodes.JsonNode>();
        for (var i = 0; i < 60; i++)
        {
            var message = await socket.ReceiveAsync();
            Assert.True((string?)message["type"] == "next" && message["payload"]!["errors"] is null, $"event {i}: {message.ToJsonString()}");
            events.Add(message["payload"]!["data"]!["entityChanged"]!);
        }

        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"component:default/burst-{i:D2}").Order(StringComparer.Ordinal), events.Select(e => (string)e["ref"]!).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Equal("group:default/team-b", (string?)e["entity"]!["owner"]!["ref"]));
        Assert.All(events, e => Assert.Equal($"number {int.Parse(((string)e["ref"]!)[^2..])}", (string?)e["entity"]!["description"]));
        var versions = events.Select(e => (long)e["catalogVersion"]!).ToList();
        Assert.Equal(versions.Order(), versions);
    }

    private static string Group(string name, string description = "a team") => $"""
        apiVersion: backstage.io/v1alpha1
        kind: Group
        metadata:
          name: {name}
          description: {description}
        spec:
          type: team
          children: []
        ---

        """;
}
