using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Portal.Catalog;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Catalog;
using Portal.Postgres;
using Portal.Testing;

namespace Portal.Gateway.Tests.GraphQL.Subscriptions;

/// <summary>Two gateway replicas on one database, each with its own bus, as two pods would run.</summary>
public class TwoReplicas : TestDatabase
{
    public PortalAppFactory First { get; private set; } = null!;

    public PortalAppFactory Second { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Bus:Outbox:PollInterval"] = "00:00:00.050",
    };

    /// <summary>False when the fixture has nothing to run against (no broker); the tests skip.</summary>
    protected virtual bool CanStart => true;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        if (!CanStart)
        {
            return;
        }

        First = Start();
        Second = Start();
    }

    public override async ValueTask DisposeAsync()
    {
        if (First is not null)
        {
            await First.DisposeAsync();
        }

        if (Second is not null)
        {
            await Second.DisposeAsync();
        }

        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    public static T Get<T>(PortalAppFactory replica)
        where T : notnull => replica.Services.GetRequiredService<T>();

    private PortalAppFactory Start()
    {
        var replica = new PortalAppFactory(ConnectionString, Settings);
        replica.UseKestrel(0);
        replica.StartServer();
        return replica;
    }
}

public sealed class Fanning_out_to_every_replica(TwoReplicas replicas) : IClassFixture<TwoReplicas>
{
    [Fact]
    public async Task A_change_made_through_one_replica_reaches_the_subscribers_of_both()
    {
        using var folder = new DescriptorFolder();
        folder.Write("catalog-info.yaml", DescriptorFolder.Component("inventory", "team-d"));
        await using var onFirst = await GraphQLSocket.ConnectAndInitAsync(replicas.First.ClientOptions.BaseAddress);
        await using var onSecond = await GraphQLSocket.ConnectAndInitAsync(replicas.Second.ClientOptions.BaseAddress);
        await onFirst.SubscribeAsync("first", "subscription { entityChanged { change ref } }");
        await onSecond.SubscribeAsync("second", "subscription { entityChanged { change ref } }");
        await ChangeFeedApp.WaitForSubscribersAsync(TwoReplicas.Get<CatalogChangeFeed>(replicas.First), 1);
        await ChangeFeedApp.WaitForSubscribersAsync(TwoReplicas.Get<CatalogChangeFeed>(replicas.Second), 1);

        await TwoReplicas.Get<LocationService>(replicas.First).RegisterAsync("file", folder.Path, TestContext.Current.CancellationToken);
        var heardOnFirst = await onFirst.ReceiveAsync();
        var heardOnSecond = await onSecond.ReceiveAsync();

        Assert.Equal(("first", "CREATED", "component:default/inventory"), ChangeMessages.Read(heardOnFirst));
        Assert.Equal(("second", "CREATED", "component:default/inventory"), ChangeMessages.Read(heardOnSecond));
    }
}

public sealed class Relaying_after_a_crash : TestDatabase
{
    [Fact]
    public async Task A_change_committed_by_a_process_that_died_before_relaying_it_is_published_by_the_next_gateway()
    {
        // The catalog alone, without bus or relay: it commits its changes and outbox rows, and ends before any relay runs.
        using var folder = new DescriptorFolder();
        folder.Write("catalog-info.yaml", DescriptorFolder.Component("orphaned-by-crash", "team-e"));
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["ConnectionStrings:Portal"] = ConnectionString;
        builder.Configuration["Catalog:Locations:FileRoots:0"] = folder.Path;
        builder.AddPortalPostgres();
        builder.AddCatalog();
        long committedVersion;
        using (var crashed = builder.Build())
        {
            await crashed.Services.GetRequiredService<LocationService>()
                .RegisterAsync("file", folder.Path, TestContext.Current.CancellationToken);
            committedVersion = await crashed.Services.GetRequiredService<EntityQueryService>().CatalogVersionAsync(TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, await UnsentRowsAsync());

        await using var gateway = new PortalAppFactory(ConnectionString, new Dictionary<string, string?> { ["Bus:Outbox:PollInterval"] = "00:00:00.050" });
        gateway.UseKestrel(0);
        gateway.StartServer();
        var feed = gateway.Services.GetRequiredService<CatalogChangeFeed>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while ((feed.CatalogVersion < committedVersion || await UnsentRowsAsync() > 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.Equal(committedVersion, feed.CatalogVersion);
        Assert.Equal(0, await UnsentRowsAsync());
    }

    private async Task<long> UnsentRowsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM catalog.outbox WHERE sent_at IS NULL", connection);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

/// <summary>
/// Two replicas on one RabbitMQ broker: <c>PORTAL_TEST_RABBITMQ</c> (a host name), else a broker on localhost:5672 if
/// one answers; without either the tests skip.
/// </summary>
public sealed class TwoReplicasOnRabbitMq : TwoReplicas
{
    public static readonly string? Broker = FindBroker();

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        ["Bus:Outbox:PollInterval"] = "00:00:00.050",
        ["Bus:RabbitMq:Host"] = Broker,
    };

    protected override bool CanStart => Broker is not null;

    private static string? FindBroker()
    {
        if (Environment.GetEnvironmentVariable("PORTAL_TEST_RABBITMQ") is { Length: > 0 } configured)
        {
            return configured;
        }

        try
        {
            using var probe = new TcpClient();
            return probe.ConnectAsync("localhost", 5672).Wait(TimeSpan.FromMilliseconds(500)) ? "localhost" : null;
        }
        catch (Exception exception) when (exception is SocketException or AggregateException)
        {
            return null;
        }
    }
}

public sealed class Fanning_out_over_RabbitMQ(TwoReplicasOnRabbitMq replicas) : IClassFixture<TwoReplicasOnRabbitMq>
{
    [Fact]
    public async Task One_publish_per_change_reaches_the_subscribers_of_every_replica_once()
    {
        Assert.SkipWhen(TwoReplicasOnRabbitMq.Broker is null,
            "No RabbitMQ broker: set PORTAL_TEST_RABBITMQ to a broker's host name, or run one on localhost:5672.");
        using var folder = new DescriptorFolder();
        folder.Write("catalog-info.yaml", DescriptorFolder.Component("shipping", "team-f"));
        await using var onFirst = await GraphQLSocket.ConnectAndInitAsync(replicas.First.ClientOptions.BaseAddress);
        await using var onSecond = await GraphQLSocket.ConnectAndInitAsync(replicas.Second.ClientOptions.BaseAddress);
        await onFirst.SubscribeAsync("first", """subscription { entityChanged(filter: [{ kind: ["Component"] }]) { change ref } }""");
        await onSecond.SubscribeAsync("second", """subscription { entityChanged(filter: [{ kind: ["Component"] }]) { change ref } }""");
        await ChangeFeedApp.WaitForSubscribersAsync(TwoReplicas.Get<CatalogChangeFeed>(replicas.First), 1);
        await ChangeFeedApp.WaitForSubscribersAsync(TwoReplicas.Get<CatalogChangeFeed>(replicas.Second), 1);

        await TwoReplicas.Get<LocationService>(replicas.Second).RegisterAsync("file", folder.Path, TestContext.Current.CancellationToken);
        var heardOnFirst = await onFirst.ReceiveAsync(TimeSpan.FromSeconds(10));
        var heardOnSecond = await onSecond.ReceiveAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(("first", "CREATED", "component:default/shipping"), ChangeMessages.Read(heardOnFirst));
        Assert.Equal(("second", "CREATED", "component:default/shipping"), ChangeMessages.Read(heardOnSecond));
        await onFirst.AssertSilentAsync(TimeSpan.FromMilliseconds(500));
    }
}
