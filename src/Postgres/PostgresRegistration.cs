using System.Data.Common;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using Portal.Postgres.Embedded;
using Portal.Postgres.Failures;
using Portal.Postgres.Migrations;

namespace Portal.Postgres;

public static partial class PostgresRegistration
{
    /// <summary>
    /// Registers the portal's PostgreSQL: the start-up of an embedded cluster when no connection string is set, the
    /// migrator, and the one <see cref="NpgsqlDataSource"/> that every module's DbContext and queries share (with the
    /// pool rule of docs/decisions/0006: no session state on pooled connections). The database is a hosted service
    /// that starts first and stops last wherever this is called: hosted services are started in registration order
    /// and stopped in reverse, and the data source starts it on first use whatever the order.
    /// </summary>
    public static IHostApplicationBuilder AddPortalPostgres(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<PortalDatabase>();
        // Inserted first: the database starts before, and stops after, every other hosted service of the host.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(services => services.GetRequiredService<PortalDatabase>()));
        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddSingleton<RequestOutageLog>();
        builder.Services.AddSingleton(services =>
        {
            // Hosted services are all constructed before the first one starts, so a service that takes the data source
            // in its constructor can get here before PortalDatabase.StartAsync ran: start it now (once; later calls return).
            var database = services.GetRequiredService<PortalDatabase>();
            database.EnsureStartedAsync(CancellationToken.None).GetAwaiter().GetResult();
            return CreateDataSource(database.ConnectionString, services.GetRequiredService<IOptions<DatabaseOptions>>().Value);
        });
        return builder;
    }

    /// <summary>
    /// The data source for a connection string, with the portal's pool policy: statements prepared after two uses, a
    /// small pool (<see cref="DefaultMaxPoolSize"/>) and no session reset, each unless the connection string says
    /// otherwise; and the server settings of <paramref name="options"/> (<c>statement_timeout</c>, <c>jit</c>) on every
    /// connection, sent as it opens (the connection string's <c>Options</c>), so no statement runs without them.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString, DatabaseOptions options)
    {
        // Hot queries repeat the same SQL text: let Npgsql prepare them after two uses (server-side plans, no re-parse).
        var connection = new NpgsqlConnectionStringBuilder(connectionString);
        connection.MaxAutoPrepare = connection.MaxAutoPrepare == 0 ? 256 : connection.MaxAutoPrepare;
        connection.AutoPrepareMinUsages = 2;
        if (!Sets(connection, "Maximum Pool Size"))
        {
            connection.MaxPoolSize = Math.Max(DefaultMaxPoolSize, connection.MinPoolSize);
        }

        // Npgsql resets a pooled connection's session state (seven statements) before its next use. The portal leaves
        // none behind (docs/decisions/0006-layout-and-modules.md: the pool rule). The reset was a third of
        // PostgreSQL's work on a catalog page.
        if (!Sets(connection, "No Reset On Close"))
        {
            connection.NoResetOnClose = true;
        }

        connection.Options = WithServerSettings(connection.Options, options);

        var dataSource = new NpgsqlDataSourceBuilder(connection.ConnectionString);
        dataSource.EnableDynamicJson();
        return dataSource.Build();
    }

    /// <summary>
    /// Connections a replica opens at most, unless the connection string says (<c>Maximum Pool Size</c>). Npgsql's own
    /// default of 100 lets a burst of requests start a hundred queries at once; PostgreSQL then time-slices them and
    /// every one finishes late. A pool of about two per core keeps the server busy, and the rest of the burst waits its
    /// turn in the pool, which keeps the slowest requests close to the typical one. A small pool is safe because no
    /// request holds one connection while waiting for another (start-up migration does, alone, before serving), and
    /// module writes take a connection one at a time, so waiting writers never hold the pool.
    /// </summary>
    public static int DefaultMaxPoolSize => Math.Max(4, 2 * Environment.ProcessorCount);

    /// <summary>
    /// The <c>Options</c> of a connection string with the portal's server settings added, each unless the operator's
    /// own options set it already. They travel in the startup packet: a pooler that refuses startup options needs them
    /// off here (<c>Database:StatementTimeout=00:00:00</c>, <c>Database:Jit=true</c>) and set on the role instead
    /// (<c>ALTER ROLE ... SET statement_timeout = '20s'</c>).
    /// </summary>
    internal static string? WithServerSettings(string? connectionOptions, DatabaseOptions options)
    {
        var settings = new List<string>();
        if (!string.IsNullOrWhiteSpace(connectionOptions))
        {
            settings.Add(connectionOptions.Trim());
        }

        if (options.StatementTimeout > TimeSpan.Zero && !SetsServerSetting(connectionOptions, "statement_timeout"))
        {
            settings.Add($"-c statement_timeout={(long)Math.Ceiling(options.StatementTimeout.TotalMilliseconds)}");
        }

        if (!options.Jit && !SetsServerSetting(connectionOptions, "jit"))
        {
            settings.Add("-c jit=off");
        }

        return settings.Count == 0 ? null : string.Join(' ', settings);
    }

    private static bool SetsServerSetting(string? connectionOptions, string name) =>
        connectionOptions is not null && ServerSetting().Matches(connectionOptions)
            .Any(match => match.Groups["name"].Value.Replace('-', '_').Equals(name, StringComparison.OrdinalIgnoreCase));

    // "-c name=value", "-cname=value" or "--name=value"; PostgreSQL reads '-' in a name as '_'.
    [GeneratedRegex(@"(?:-c\s*|--)(?<name>[A-Za-z0-9_.\-]+)\s*=")]
    private static partial Regex ServerSetting();

    // Npgsql's builder reports every keyword it knows as present, so look at the keywords actually written; its own
    // string spells each one canonically, whichever synonym (MaxPoolSize, Maximum Pool Size) the operator used.
    private static bool Sets(NpgsqlConnectionStringBuilder connection, string keyword) =>
        new DbConnectionStringBuilder { ConnectionString = connection.ToString() }.ContainsKey(keyword);

    /// <summary>
    /// The <c>migrate</c> command: applies every module's migrations under the advisory lock and exits, for
    /// deployments that migrate in a Job before the rollout (with <c>Database:MigrateOnStartup=false</c> on the replicas).
    /// </summary>
    public static async Task RunMigrationCommandAsync(this IServiceProvider services)
    {
        var database = services.GetRequiredService<PortalDatabase>();
        try
        {
            await database.EnsureStartedAsync(CancellationToken.None);
            await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        }
        finally
        {
            await database.DisposeAsync();
        }
    }
}
