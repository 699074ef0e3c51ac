using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Portal.Testing;

namespace Portal.Gateway.Tests.Hosting;

/// <summary>
/// A class fixture for tests of database faults: the gateway on the class's own database, with the settings (and the
/// connection string) the fault needs, over real TCP, its log captured.
/// </summary>
public abstract class FaultApp : TestDatabase
{
    public CapturedLogs Logs { get; } = new();

    public PortalAppFactory Factory { get; private set; } = null!;

    /// <summary>Settings on top of the defaults.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> MoreSettings => [];

    /// <summary>The connection string the gateway gets, from the class database's.</summary>
    protected virtual string GatewayConnectionString(string connectionString) => connectionString;

    /// <summary>The host environment; Production answers as a deployed gateway does (no developer exception page).</summary>
    protected virtual string Environment => "Development";

    /// <summary>Plugs implementations of extension seams into the gateway (registered after its own).</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public T Get<T>()
        where T : notnull => Factory.Services.GetRequiredService<T>();

    public HttpClient CreateClient() => Factory.CreateClient();

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var settings = new Dictionary<string, string?>
        {
            // Tests refresh on demand; a background refresh would race their assertions.
            ["Catalog:Locations:RefreshInterval"] = "00:00:00",
        };
        foreach (var (key, value) in MoreSettings)
        {
            settings[key] = value;
        }

        Factory = new PortalAppFactory(GatewayConnectionString(ConnectionString), settings, Environment,
            services: services =>
            {
                services.AddSingleton<ILoggerProvider>(Logs);
                ConfigureServices(services);
            });
        Factory.UseKestrel(0);
        Factory.StartServer();
    }

    public override async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Every line a host logs, kept for the test to read.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyList<LogLine> Lines => [.. _lines];

    /// <summary>The lines of categories that start with <paramref name="category"/>, at <paramref name="level"/> or above.</summary>
    public IReadOnlyList<LogLine> Of(string category, LogLevel level) =>
        [.. _lines.Where(line => line.Category.StartsWith(category, StringComparison.Ordinal) && line.Level >= level)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                logs._lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception), exception));
            }
        }
    }
}

public sealed record LogLine(string Category, LogLevel Level, string Message, Exception? Exception)
{
    public override string ToString() => $"{Level} {Category}: {Message}{(Exception is null ? "" : " [" + Exception.GetType().Name + "]")}";
}

/// <summary>
/// A table locked away from the gateway by a connection of the test (<c>ACCESS EXCLUSIVE</c>, held until disposed):
/// every query of the gateway that reads it waits in PostgreSQL, which is how a test makes a request slow.
/// </summary>
public sealed class TableLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly string _connectionString;

    private TableLock(string connectionString, NpgsqlConnection connection, NpgsqlTransaction transaction, int pid)
    {
        _connectionString = connectionString;
        _connection = connection;
        _transaction = transaction;
        ProcessId = pid;
    }

    /// <summary>The backend that holds the lock.</summary>
    public int ProcessId { get; }

    public static async Task<TableLock> TakeAsync(string connectionString, string table)
    {
        var cancellation = TestContext.Current.CancellationToken;
        var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;
        var connection = new NpgsqlConnection(unpooled);
        await connection.OpenAsync(cancellation);
        var transaction = await connection.BeginTransactionAsync(cancellation);
        await using (var take = new NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", connection, transaction))
        {
            await take.ExecuteNonQueryAsync(cancellation);
        }

        await using var pid = new NpgsqlCommand("SELECT pg_backend_pid()", connection, transaction);
        return new TableLock(unpooled, connection, transaction, (int)(await pid.ExecuteScalarAsync(cancellation))!);
    }

    /// <summary>Queries of other sessions of the database waiting for a lock (the gateway's, here).</summary>
    public async Task<int> WaitingQueriesAsync()
    {
        // A fresh session per look: within a transaction, pg_stat_activity keeps showing its first snapshot.
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> @locker AND wait_event_type = 'Lock'
            """, connection);
        command.Parameters.AddWithValue("locker", ProcessId);
        return (int)(long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Waits until some query of the gateway waits for the lock: the request under test has reached PostgreSQL.</summary>
    public async Task WaitForAWaiterAsync()
    {
        var clock = Stopwatch.StartNew();
        while (await WaitingQueriesAsync() == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "no query of the gateway came to wait for the locked table within 5 s");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Asserts that within a second nothing of the gateway's is still at work in PostgreSQL: no statement running or
    /// waiting (for the lock or anything else), and no transaction left open, other than the background loops' own
    /// short polls. What a timed-out request started there has ended.
    /// </summary>
    public async Task AssertNothingWaitsWithinASecondAsync()
    {
        var clock = Stopwatch.StartNew();
        List<string> busy;
        while ((busy = await BusySessionsAsync()).Count > 0 && clock.Elapsed < TimeSpan.FromSeconds(1))
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.True(busy.Count == 0, $"still at work in PostgreSQL a second after the request was answered: {string.Join(" | ", busy)}");
    }

    private async Task<List<string>> BusySessionsAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT state || ': ' || left(query, 120) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> @locker AND backend_type = 'client backend'
              AND (state IN ('active', 'idle in transaction', 'idle in transaction (aborted)') OR wait_event_type = 'Lock')
              AND query NOT ILIKE '%outbox%' AND query NOT ILIKE '%inbox%'
            """, connection);
        command.Parameters.AddWithValue("locker", ProcessId);
        var busy = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            busy.Add(reader.GetString(0));
        }

        return busy;
    }

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
