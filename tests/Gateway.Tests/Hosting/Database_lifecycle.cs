using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Catalog.Locations;
using Portal.Catalog.Persistence;
using Portal.Catalog.Queries;
using Portal.Postgres;
using Portal.Postgres.Embedded;
using Portal.Scaffolder.Persistence;
using Portal.Testing;

namespace Portal.Gateway.Tests.Hosting;

public sealed class Database_lifecycle
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_gateways_starting_together_on_an_empty_database_both_migrate_without_error()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("concurrent");
        await using var first = new PortalAppFactory(connectionString);
        await using var second = new PortalAppFactory(connectionString);

        await Task.WhenAll(Task.Run(() => first.Services, Cancellation), Task.Run(() => second.Services, Cancellation));

        using var client = first.CreateClient();
        using var ready = await client.GetAsync("/readyz", Cancellation);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        await AssertEveryMigrationAppliedOnceAsync(connectionString);
    }

    [Theory]
    [InlineData(null, -1)]
    [InlineData("Maximum Pool Size=7", 7)]
    [InlineData("maximum pool size=9", 9)]
    [InlineData("MaxPoolSize=11", 11)]
    [InlineData("Minimum Pool Size=30", 30)]
    public async Task The_connection_pool_is_sized_to_the_machine_unless_the_connection_string_says(string? setting, int expected)
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("pool");
        await using var app = new PortalAppFactory(setting is null ? connectionString : $"{connectionString};{setting}");

        var settings = new NpgsqlConnectionStringBuilder(app.Services.GetRequiredService<NpgsqlDataSource>().ConnectionString);
        var pool = settings.MaxPoolSize;
        Assert.True(settings.NoResetOnClose, "pooled connections are handed on without a session reset");

        // Without a setting, a pool sized to the machine rather than Npgsql's 100; never below a configured minimum.
        Assert.Equal(expected == -1 ? PostgresRegistration.DefaultMaxPoolSize : expected, pool);
        Assert.True(pool < 100 || setting is not null, $"pool of {pool}");
    }

    [Fact]
    public async Task Concurrent_writes_and_reads_on_a_pool_of_two_connections_all_finish()
    {
        // A write that held one connection while taking a second could wait forever once every connection in the
        // pool belonged to a writer waiting for the first one's lock, and writers waiting for the lock could hold
        // every connection away from reads; a short acquisition timeout reports either.
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("small-pool");
        await using var app = new PortalAppFactory($"{connectionString};Maximum Pool Size=2;Timeout=5");
        var locations = app.Services.GetRequiredService<LocationService>();
        var queries = app.Services.GetRequiredService<EntityQueryService>();
        var folder = Directory.CreateTempSubdirectory("portal-small-pool-").FullName;
        try
        {
            string Descriptor(int i) => Path.Combine(folder, $"catalog-{i}.yaml");
            for (var i = 0; i < 12; i++)
            {
                await File.WriteAllTextAsync(Descriptor(i), $$"""
                    apiVersion: backstage.io/v1alpha1
                    kind: Component
                    metadata: { name: pool-{{i}} }
                    spec: { type: service, lifecycle: production, owner: team-a }
                    """, Cancellation);
            }

            var registered = new List<Guid>();
            for (var i = 0; i < 6; i++)
            {
                registered.Add((await locations.RegisterAsync("file", Descriptor(i), Cancellation)).Location.Id);
            }

            var removals = registered.Select(id => Task.Run(() => locations.UnregisterAsync(id, Cancellation), Cancellation)).ToList();
            var registrations = Enumerable.Range(6, 6)
                .Select(i => Task.Run(() => locations.RegisterAsync("file", Descriptor(i), Cancellation), Cancellation)).ToList();
            var reads = Enumerable.Range(0, 12)
                .Select(_ => Task.Run(() => queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("kind", "component") }, Cancellation), Cancellation))
                .ToList();

            Assert.All(await Task.WhenAll(removals), Assert.True);
            Assert.All(await Task.WhenAll(registrations), outcome => Assert.Equal(1, outcome.Created));
            await Task.WhenAll(reads);
            var left = await queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("kind", "component") }, Cancellation);
            Assert.Equal(Enumerable.Range(6, 6).Select(i => $"pool-{i}").Order(StringComparer.Ordinal), left.Items.Select(e => e.Name).Order(StringComparer.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Readyz_is_503_while_migrations_are_pending()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("pending");
        await using var app = new PortalAppFactory(connectionString, new Dictionary<string, string?> { ["Database:MigrateOnStartup"] = "false" });
        using var client = app.CreateClient();

        using var response = await client.GetAsync("/readyz", Cancellation);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }

    [Fact]
    public async Task The_migrate_command_applies_the_migrations_and_exits()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("migratecommand");
        var gateway = Path.Combine(AppContext.BaseDirectory, "Portal.Gateway.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(gateway);
        start.ArgumentList.Add("migrate");
        start.Environment["ConnectionStrings__Portal"] = connectionString;

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancellation);
        var errors = process.StandardError.ReadToEndAsync(Cancellation);
        await process.WaitForExitAsync(Cancellation);

        Assert.True(process.ExitCode == 0, $"migrate exited {process.ExitCode}: {await output} {await errors}");
        await AssertEveryMigrationAppliedOnceAsync(connectionString);
    }

    [Fact]
    public async Task The_embedded_PostgreSQL_is_stopped_when_the_host_stops()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "portal-embedded-test-" + Guid.NewGuid().ToString("N")[..8]);
        int port;
        int serverPid;
        try
        {
            await using (var app = new PortalAppFactory("", new Dictionary<string, string?> { ["Database:DataDirectory"] = dataDirectory }))
            {
                var database = app.Services.GetRequiredService<PortalDatabase>();
                Assert.NotNull(database.Embedded);
                port = database.Embedded.Port;
                serverPid = database.Embedded.ReadServerProcessId() ?? throw new InvalidOperationException("no postmaster.pid");
                using var client = app.CreateClient();
                using var ready = await client.GetAsync("/readyz", Cancellation);
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
                Assert.True(IsAlive(serverPid));
            }

            // Acceptance: the host's PostgreSQL is gone within 10 s of the host stopping.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (IsAlive(serverPid) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, Cancellation);
            }

            Assert.False(IsAlive(serverPid), $"postgres (pid {serverPid}) still runs 10 s after the host stopped");
            Assert.False(await AcceptsConnectionsAsync(port), $"port {port} still accepts connections after the host stopped");
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Extra_server_settings_reach_the_embedded_server_and_one_that_could_smuggle_another_is_refused_first()
    {
        var root = Path.Combine(Path.GetTempPath(), "portal-embedded-settings-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var refused = await Assert.ThrowsAsync<ArgumentException>(() => EmbeddedPostgres.StartAsync(root, temporary: true, _ => { },
                settings: new Dictionary<string, string> { ["work_mem"] = "7MB -c fsync=off" }, cancellationToken: Cancellation));
            Assert.Contains("work_mem", refused.Message, StringComparison.Ordinal);
            Assert.False(Directory.Exists(root), "nothing is created for a refused setting");

            await using var postgres = await EmbeddedPostgres.StartAsync(root, temporary: true, _ => { },
                settings: new Dictionary<string, string> { ["work_mem"] = "7MB" }, cancellationToken: Cancellation);
            await using var connection = new NpgsqlConnection(postgres.ConnectionString);
            await connection.OpenAsync(Cancellation);
            await using var show = new NpgsqlCommand("SHOW work_mem", connection);
            Assert.Equal("7MB", await show.ExecuteScalarAsync(Cancellation));
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Without_binaries_or_a_connection_string_the_gateway_exits_with_one_line_naming_both_fixes()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Portal.Gateway.dll"));
        start.Environment["Database__BinDirectory"] = "/nonexistent/postgres/bin";
        start.Environment["Database__DataDirectory"] = Path.Combine(Path.GetTempPath(), "portal-nobin-" + Guid.NewGuid().ToString("N")[..8]);
        start.Environment["Urls"] = "http://127.0.0.1:0";
        start.Environment.Remove("ConnectionStrings__Portal");

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancellation);
        var errors = await process.StandardError.ReadToEndAsync(Cancellation);
        await process.WaitForExitAsync(Cancellation);
        await output;

        Assert.NotEqual(0, process.ExitCode);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("ConnectionStrings__Portal", line, StringComparison.Ordinal);
        Assert.Contains("install the PostgreSQL server", line, StringComparison.Ordinal);
    }

    private static bool IsAlive(int pid)
    {
        // A stopped postgres whose parent is gone can linger as a zombie until init reaps it; a zombie runs nothing.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        var text = File.ReadAllText(stat);
        var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
        return state != "Z" && state != "X";
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, Cancellation);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Each module's history table lists exactly the migrations its assembly ships, each once.</summary>
    private static async Task AssertEveryMigrationAppliedOnceAsync(string connectionString)
    {
        await using var catalog = new CatalogDbContext(new DbContextOptionsBuilder<CatalogDbContext>().UseNpgsql(connectionString).Options);
        await using var scaffolder = new ScaffolderDbContext(new DbContextOptionsBuilder<ScaffolderDbContext>().UseNpgsql(connectionString).Options);
        foreach (var (context, schema) in new (DbContext, string)[] { (catalog, CatalogDbContext.Schema), (scaffolder, ScaffolderDbContext.Schema) })
        {
            var shipped = context.Database.GetMigrations().ToList();
            Assert.NotEmpty(shipped);
            var applied = await ListAsync(connectionString, $"SELECT \"MigrationId\" FROM {schema}.\"__EFMigrationsHistory\" ORDER BY \"MigrationId\"");
            Assert.Equal(shipped, applied);
        }
    }

    private static async Task<List<string>> ListAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var values = new List<string>();
        while (await reader.ReadAsync(Cancellation))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
