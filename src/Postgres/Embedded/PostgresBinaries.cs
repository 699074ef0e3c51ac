using System.Diagnostics;

namespace Portal.Postgres.Embedded;

/// <summary>
/// Finds the PostgreSQL server binaries (initdb, pg_ctl, postgres) on this machine: the folder that
/// <c>pg_config --bindir</c> names, then the newest <c>/usr/lib/postgresql/*/bin</c>, then PATH.
/// </summary>
public static class PostgresBinaries
{
    public static string? FindBinDirectory()
    {
        var fromPgConfig = RunPgConfig();
        if (IsServerBinDirectory(fromPgConfig))
        {
            return fromPgConfig;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(version => Path.Combine(version, "bin"))
                .Where(IsServerBinDirectory)
                .OrderByDescending(path => int.TryParse(Path.GetFileName(Path.GetDirectoryName(path)), out var major) ? major : 0)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(IsServerBinDirectory);
    }

    /// <summary>The folder itself when it holds the server binaries, else null.</summary>
    public static string? Validate(string directory) => IsServerBinDirectory(directory) ? directory : null;

    private static bool IsServerBinDirectory(string? directory) =>
        directory is not null
        && File.Exists(Path.Combine(directory, "initdb"))
        && File.Exists(Path.Combine(directory, "pg_ctl"))
        && File.Exists(Path.Combine(directory, "postgres"));

    private static string? RunPgConfig()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("pg_config", "--bindir")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd().Trim();
            return process.WaitForExit(5000) && process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // pg_config is not installed; try the other places.
        }
    }
}
