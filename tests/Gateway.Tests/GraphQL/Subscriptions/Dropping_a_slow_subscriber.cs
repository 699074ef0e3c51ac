using System.Text;
using Portal.Catalog.Locations;

namespace Portal.Gateway.Tests.GraphQL.Subscriptions;

/// <summary>
/// The gateway letting a socket have at most 1 MiB of results waiting for its client, and allowing the 1000 aliases the
/// stalled client uses to make each result large.
/// </summary>
public sealed class OneMegabytePendingApp : ChangeFeedApp
{
    protected override IEnumerable<KeyValuePair<string, string?>> MoreSettings =>
        [new("Graph:WebSockets:MaxPendingBytes", "1048576"), new("Graph:MaxAliases", "1000"), new("Graph:MaxFields", "2000")];
}

public sealed class Dropping_a_slow_subscriber(OneMegabytePendingApp app) : IClassFixture<OneMegabytePendingApp>
{
    private const int Writes = 10;
    private const int ComponentsPerWrite = 20;

    [Fact]
    public async Task A_subscriber_that_stops_reading_is_dropped_with_an_error_while_one_that_reads_hears_everything()
    {
        var folders = Enumerable.Range(0, Writes).Select(_ => new DescriptorFolder()).ToList();
        try
        {
            for (var write = 0; write < Writes; write++)
            {
                var yaml = new StringBuilder();
                for (var i = 0; i < ComponentsPerWrite; i++)
                {
                    yaml.Append(DescriptorFolder.Component($"a-component-with-a-long-name-so-that-refs-are-long-{write:D2}-{i:D2}", "team-slow"));
                }

                folders[write].Write("catalog-info.yaml", yaml.ToString());
            }

            await app.WaitForChangesToArriveAsync();
            await using var reader = await GraphQLSocket.ConnectAndInitAsync(app.BaseAddress);
            await reader.SubscribeAsync("reads", "subscription { entityChanged { change ref } }");

            // The stalled client asks for each ref under 1000 aliases (about 80 KB a result) and has a small TCP receive
            // buffer, so that the buffers between it and the gateway fill after a few dozen results.
            await using var stalled = await GraphQLSocket.ConnectAsync(app.BaseAddress, receiveBufferBytes: 4096);
            await stalled.SendAsync("""{"type":"connection_init"}""");
            Assert.Equal("connection_ack", GraphQLSocket.Type(await stalled.ReceiveAsync()));
            var selection = string.Join(' ', Enumerable.Range(0, 1000).Select(i => $"r{i}: ref"));
            await stalled.SubscribeAsync("stalls", $"subscription {{ entityChanged {{ change {selection} }} }}");
            await app.WaitForSubscribersAsync(2);

            var reading = Task.Run(async () =>
            {
                var heard = new List<string?>();
                while (heard.Count < Writes * ComponentsPerWrite)
                {
                    heard.Add(ChangeMessages.Read(await reader.ReceiveAsync()).Change);
                }

                return heard;
            });
            foreach (var folder in folders)
            {
                await app.Get<LocationService>().RegisterAsync("file", folder.Path, TestContext.Current.CancellationToken);
            }

            var heardByReader = await reading;
            await app.WaitForSubscribersAsync(1);
            var heardByStalled = 0;
            var last = await stalled.ReceiveAsync();
            while (GraphQLSocket.Type(last) == "next")
            {
                heardByStalled++;
                last = await stalled.ReceiveAsync();
            }

            await stalled.SendAsync("""{"type":"ping"}""");
            var pong = await stalled.ReceiveAsync();

            Assert.Equal(Writes * ComponentsPerWrite, heardByReader.Count(change => change == "CREATED"));
            Assert.Equal("error", GraphQLSocket.Type(last));
            Assert.Equal("stalls", (string?)last["id"]);
            Assert.Equal("SUBSCRIBER_TOO_SLOW", (string?)last["payload"]![0]!["extensions"]!["code"]);
            Assert.StartsWith("Subscriber too slow: more than 1048576 bytes of results were waiting to be sent",
                (string?)last["payload"]![0]!["message"], StringComparison.Ordinal);
            Assert.InRange(heardByStalled, 1, Writes * ComponentsPerWrite - 1);
            Assert.Equal("pong", GraphQLSocket.Type(pong));
        }
        finally
        {
            folders.ForEach(folder => folder.Dispose());
        }
    }
}
