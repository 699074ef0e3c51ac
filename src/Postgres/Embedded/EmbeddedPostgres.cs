using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace Portal.Postgres.Embedded;

/// <summary>
/// A private PostgreSQL cluster started from the machine's own server binaries: the zero-configuration database
/// of <c>dotnet run</c>, and the throwaway server of the test suite. The cluster lives in
/// <c>{root}/postgres</c>, listens on 127.0.0.1 only, and its superuser password stays in <c>{root}/password</c>.
/// </summary>
/// <remarks>
/// initdb and postgres refuse to run as root. As root, they run as the <c>postgres</c> system user (through
/// <c>runuser</c>); that user must be able to reach the data folder, so a root folder it cannot traverse (anything
/// under /root) is swapped for one under /var/tmp, and the log says so.
/// </remarks>
public sealed partial class EmbeddedPostgres : IAsyncDisposable
{
    private const string SuperUser = "portal";
    private const string DatabaseName = "portal";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly string _binDirectory;
    private readonly string? _runAs;
    private readonly bool _temporary;
    private readonly Lock _stopLock = new();
    private IReadOnlyDictionary<string, string> _settings = new Dictionary<string, string>();
    private Task? _stop;

    private EmbeddedPostgres(string rootDirectory, string binDirectory, string? runAs, bool temporary, int port, string password)
    {
        RootDirectory = rootDirectory;
        _binDirectory = binDirectory;
        _runAs = runAs;
        _temporary = temporary;
        Port = port;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = SuperUser,
            Password = password,
            Database = DatabaseName,
        }.ConnectionString;
    }

    /// <summary>The folder that holds the cluster (<c>postgres/</c>) and its password file.</summary>
    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "postgres");

    public int Port { get; }

    /// <summary>Connection string of the <c>portal</c> database, as the cluster's superuser.</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// Creates the cluster on first use (or reuses it), starts it on a free port and waits until it accepts
    /// connections. A <paramref name="temporary"/> cluster is tuned for speed over durability and deleted on stop.
    /// </summary>
    /// <param name="rootDirectory">Folder of the cluster and its password file; created when missing.</param>
    /// <param name="temporary">A throwaway cluster: no fsync, deleted on stop.</param>
    /// <param name="log">Receives the lines worth telling the operator (creation, relocation).</param>
    /// <param name="binDirectory">Folder of initdb, pg_ctl and postgres; null to look for them.</param>
    /// <param name="settings">Server settings beyond the defaults (<c>shared_buffers</c>, say): plain names and values.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<EmbeddedPostgres> StartAsync(
        string rootDirectory, bool temporary, Action<string> log, string? binDirectory = null,
        IReadOnlyDictionary<string, string>? settings = null, CancellationToken cancellationToken = default)
    {
        // They go on the server's command line: nothing that could end one setting and start another.
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            if (!SettingName().IsMatch(name) || !SettingValue().IsMatch(value))
            {
                throw new ArgumentException($"Server setting '{name}' = '{value}': names are lower-case words joined by '_', values letters, digits and '.'.", nameof(settings));
            }
        }

        var searched = binDirectory is null
            ? "looked at 'pg_config --bindir', /usr/lib/postgresql/*/bin and PATH"
            : $"Database:BinDirectory is {binDirectory}";
        binDirectory = (binDirectory is null ? PostgresBinaries.FindBinDirectory() : PostgresBinaries.Validate(binDirectory))
            ?? throw new EmbeddedPostgresException(
                $"No database: ConnectionStrings:Portal is not set and no PostgreSQL server binaries were found ({searched}). "
                + "Either set the environment variable ConnectionStrings__Portal to a PostgreSQL connection string, "
                + "or install the PostgreSQL server (for example 'apt-get install postgresql').");

        var root = Path.GetFullPath(rootDirectory);
        string? runAs = null;
        if (Environment.UserName == "root")
        {
            runAs = "postgres";
            if (!await CanUserReachAsync(runAs, root, cancellationToken))
            {
                var relocated = Path.Combine("/var/tmp", "portal-" + ShortHash(root));
                log($"Running as root: PostgreSQL must run as the 'postgres' user, which cannot reach {root}; "
                    + $"the embedded cluster lives in {relocated} instead (set Database:DataDirectory to choose another).");
                root = relocated;
            }
        }

        Directory.CreateDirectory(root);
        var passwordFile = Path.Combine(root, "password");
        var instance = new EmbeddedPostgres(root, binDirectory, runAs, temporary, FindFreePort(),
            File.Exists(passwordFile) ? (await File.ReadAllTextAsync(passwordFile, cancellationToken)).Trim() : NewPassword());

        if (!File.Exists(Path.Combine(instance.DataDirectory, "PG_VERSION")))
        {
            log($"Creating the embedded PostgreSQL cluster in {instance.DataDirectory}");
            await instance.InitializeAsync(passwordFile, cancellationToken);
        }

        instance._settings = settings ?? instance._settings;
        await instance.StopLeftoverServerAsync(cancellationToken);
        await instance.StartServerAsync(cancellationToken);
        await instance.CreateDatabaseAsync(cancellationToken);
        return instance;
    }

    /// <summary>The process id of the running postmaster, from <c>postmaster.pid</c>; null when it is not running.</summary>
    public int? ReadServerProcessId()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }

        var firstLine = File.ReadLines(pidFile).FirstOrDefault();
        return int.TryParse(firstLine, out var pid) ? pid : null;
    }

    /// <summary>
    /// Stops the server (fast shutdown: open sessions are ended) and, for a temporary cluster, deletes it.
    /// Every caller, first or later, waits for the same stop to finish.
    /// </summary>
    public Task StopAsync()
    {
        lock (_stopLock)
        {
            return _stop ??= StopOnceAsync();
        }
    }

    private async Task StopOnceAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var serverPid = ReadServerProcessId();
        await RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30"], CancellationToken.None, allowFailure: true);

        // pg_ctl returns once postmaster.pid is gone, a moment before the postmaster process has exited.
        for (var waited = 0; serverPid is { } pid && IsRunning(pid) && waited < 100; waited++)
        {
            await Task.Delay(50);
        }
        if (_temporary)
        {
            try
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open is no reason to fail shutdown; the folder is under the temp directory.
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// Stops the server (fast shutdown: open sessions are ended) and keeps the cluster, so that
    /// <see cref="StartAgainAsync"/> brings the same databases back on the same port: a database restart or outage as
    /// its clients see it. Their pools are left as they are, with connections that broke.
    /// </summary>
    public async Task StopServerAsync()
    {
        var serverPid = ReadServerProcessId();
        await RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30"], CancellationToken.None);
        for (var waited = 0; serverPid is { } pid && IsRunning(pid) && waited < 100; waited++)
        {
            await Task.Delay(50);
        }
    }

    /// <summary>Starts the server stopped by <see cref="StopServerAsync"/> again, with the same settings and port.</summary>
    public Task StartAgainAsync(CancellationToken cancellationToken) => StartServerAsync(cancellationToken);

    private async Task InitializeAsync(string passwordFile, CancellationToken cancellationToken)
    {
        var password = ConnectionStringPassword();
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        Directory.CreateDirectory(DataDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // initdb reads the password from a file; give it a copy it can read, inside the folder it owns.
        var initPasswordFile = Path.Combine(DataDirectory, "..", $"initdb-{Guid.NewGuid():N}.pw");
        await File.WriteAllTextAsync(initPasswordFile, password, cancellationToken);
        try
        {
            if (_runAs is not null)
            {
                await RunPlainAsync("chown", ["-R", _runAs, DataDirectory, initPasswordFile], cancellationToken);
            }

            await RunAsync("initdb", [
                "-D", DataDirectory, "-U", SuperUser, $"--pwfile={Path.GetFullPath(initPasswordFile)}",
                "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions",
            ], cancellationToken);
        }
        finally
        {
            File.Delete(initPasswordFile);
        }
    }

    private async Task StopLeftoverServerAsync(CancellationToken cancellationToken)
    {
        // A previous run that was killed leaves its server running; stop it so this run owns the cluster.
        var status = await RunAsync("pg_ctl", ["status", "-D", DataDirectory], cancellationToken, allowFailure: true);
        if (status.ExitCode == 0)
        {
            await RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "30"], cancellationToken, allowFailure: true);
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        var settings = new List<string>
        {
            $"-p {Port}",
            "-c listen_addresses=127.0.0.1",
            "-c unix_socket_directories=''",
            "-c max_connections=300",
        };
        if (_temporary)
        {
            // Throwaway test clusters trade durability for speed; nothing in them must survive a crash.
            settings.AddRange(["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]);
        }

        settings.AddRange(_settings.Select(setting => $"-c {setting.Key}={setting.Value}"));

        var result = await RunAsync("pg_ctl", [
            "start", "-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(DataDirectory, "server.log"),
            "-o", string.Join(' ', settings),
        ], cancellationToken, allowFailure: true);
        if (result.ExitCode != 0)
        {
            var logTail = TryReadLogTail();
            throw new EmbeddedPostgresException(
                $"The embedded PostgreSQL in {DataDirectory} did not start (pg_ctl exited {result.ExitCode}): {result.Output.Trim()} {logTail}".Trim());
        }
    }

    private async Task CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", DatabaseName);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private string ConnectionStringPassword() => new NpgsqlConnectionStringBuilder(ConnectionString).Password!;

    private string TryReadLogTail()
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(DataDirectory, "server.log"));
            return string.Join(" | ", lines.TakeLast(5));
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    private Task<CommandResult> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool allowFailure = false)
    {
        var executable = Path.Combine(_binDirectory, tool);
        return _runAs is null
            ? RunPlainAsync(executable, arguments, cancellationToken, allowFailure)
            : RunPlainAsync("runuser", ["-u", _runAs, "--", executable, .. arguments], cancellationToken, allowFailure);
    }

    private static async Task<CommandResult> RunPlainAsync(
        string executable, IReadOnlyList<string> arguments, CancellationToken cancellationToken, bool allowFailure = false)
    {
        var startInfo = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Run from a folder every user can enter: the postgres user cannot stat a cwd under /root.
            WorkingDirectory = "/",
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)
            ?? throw new EmbeddedPostgresException($"Could not start {executable}.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CommandTimeout);

        // Read both streams to the end, or a chatty child blocks on a full pipe.
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new EmbeddedPostgresException($"{Path.GetFileName(executable)} did not finish within {CommandTimeout.TotalSeconds} s.");
        }

        var output = (await stdout) + (await stderr);
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new EmbeddedPostgresException(
                $"{Path.GetFileName(executable)} {string.Join(' ', arguments.Take(3))} failed with exit code {process.ExitCode}: {output.Trim()}");
        }

        return new CommandResult(process.ExitCode, output);
    }

    private static async Task<bool> CanUserReachAsync(string user, string directory, CancellationToken cancellationToken)
    {
        // The folder may not exist yet; what matters is that the user can traverse its nearest existing ancestor chain.
        var probe = directory;
        while (!Directory.Exists(probe))
        {
            probe = Path.GetDirectoryName(probe) ?? "/";
        }

        var result = await RunPlainAsync("runuser", ["-u", user, "--", "test", "-x", probe], cancellationToken, allowFailure: true);
        return result.ExitCode == 0;
    }

    private static bool IsRunning(int pid)
    {
        // A stopped postgres whose parent is gone can linger as a zombie until init reaps it; a zombie runs nothing.
        var stat = $"/proc/{pid}/stat";
        try
        {
            var text = File.ReadAllText(stat);
            var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FindFreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string NewPassword() => Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();

    private static string ShortHash(string text) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12].ToLowerInvariant();

    private sealed record CommandResult(int ExitCode, string Output);

    [GeneratedRegex("^[a-z][a-z_]*$")]
    private static partial Regex SettingName();

    [GeneratedRegex("^[A-Za-z0-9.]+$")]
    private static partial Regex SettingValue();
}

/// <summary>The embedded PostgreSQL could not be found, created or started; the message says what to do.</summary>
public sealed class EmbeddedPostgresException(string message) : Exception(message);
