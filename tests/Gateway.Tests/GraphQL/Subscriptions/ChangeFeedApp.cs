using System.Text.Json.Nodes;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Catalog;

namespace Portal.Gateway.Tests.GraphQL.Subscriptions;

/// <summary>The gateway with a quick outbox relay, so that changes reach subscribers within a test's patience.</summary>
public class ChangeFeedApp : PortalApp
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Bus:Outbox:PollInterval"] = "00:00:00.050",
    }.Concat(MoreSettings).ToDictionary();

    protected virtual IEnumerable<KeyValuePair<string, string?>> MoreSettings => [];

    /// <summary>
    /// Waits until the gateway has <paramref name="count"/> live subscribers: a subscribe message is handled after the
    /// client sent it, and a change made before that is not the subscriber's to hear.
    /// </summary>
    public Task WaitForSubscribersAsync(int count) => WaitForSubscribersAsync(Get<CatalogChangeFeed>(), count);

    /// <summary>Waits until every change committed so far has reached the gateway's change feed.</summary>
    public async Task WaitForChangesToArriveAsync()
    {
        var version = await Get<EntityQueryService>().CatalogVersionAsync(TestContext.Current.CancellationToken);
        var feed = Get<CatalogChangeFeed>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (feed.CatalogVersion < version)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The change feed is at catalog version {feed.CatalogVersion}; the catalog at {version}.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    public static async Task WaitForSubscribersAsync(CatalogChangeFeed feed, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (feed.SubscriberCount != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Expected {count} subscriber(s); the gateway has {feed.SubscriberCount}.");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>A folder of descriptor files for a <c>file</c> location, deleted with the test.</summary>
internal sealed class DescriptorFolder : IDisposable
{
    public DescriptorFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "portal-subs-" + Guid.NewGuid().ToString("n"));

    public string Write(string name, string yaml)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, yaml);
        return file;
    }

    public static string Component(string name, string owner, string description = "") => $"""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
          description: "{description}"
        spec:
          type: service
          lifecycle: production
          owner: {owner}
        ---

        """;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

internal static class ChangeMessages
{
    /// <summary>The change and ref of a <c>next</c> message of an entityChanged subscription.</summary>
    public static (string? Id, string? Change, string? Ref) Read(JsonObject message)
    {
        Assert.Equal("next", (string?)message["type"]);
        var changed = message["payload"]?["data"]?["entityChanged"];
        Assert.True(changed is not null, $"Expected data.entityChanged in {message.ToJsonString()}.");
        return ((string?)message["id"], (string?)changed?["change"], (string?)changed?["ref"]);
    }
}
