using System.Diagnostics;
using System.Globalization;

namespace Portal.Benchmarks;

/// <summary>
/// CPU time spent by this process (the gateway and the in-process callers) and by PostgreSQL's processes over a
/// measured run. On a shared machine throughput drifts with the neighbours; CPU time per request drifts much less,
/// and it says where a request's cost goes. PostgreSQL's share is read from /proc: the postgres processes of this machine,
/// so on Linux only, and only when the database runs here.
/// </summary>
internal sealed class CpuMeter
{
    private readonly TimeSpan _process = Process.GetCurrentProcess().TotalProcessorTime;
    private readonly double? _postgresTicks = PostgresTicks();

    /// <summary>Milliseconds of CPU per request since this meter started: this process's, and PostgreSQL's if known.</summary>
    public (double Process, double? Postgres) PerRequest(int requests)
    {
        var process = (Process.GetCurrentProcess().TotalProcessorTime - _process).TotalMilliseconds / Math.Max(1, requests);
        var postgres = PostgresTicks() - _postgresTicks;
        return (process, postgres * 1000 / ClockTicksPerSecond / Math.Max(1, requests));
    }

    // Linux reports process times in clock ticks, 100 per second on every platform .NET runs on.
    private const double ClockTicksPerSecond = 100;

    /// <summary>
    /// User and system time of every running postgres process, and of the ones that have ended (a backend closed by the
    /// pool, an autovacuum worker): the postmaster reaps those, and the kernel adds their time to its children's time
    /// (cutime, cstime). Without it, a process ending mid-run took its time out of the sum, and the difference could go
    /// negative. In clock ticks; null off Linux.
    /// </summary>
    private static double? PostgresTicks()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        double ticks = 0;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(folder, "comm")).Trim() != "postgres")
                {
                    continue;
                }

                // Fields after the parenthesised command: state is the 3rd field; utime, stime, cutime and cstime the
                // 14th to 17th.
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                for (var field = 11; field <= 14; field++)
                {
                    ticks += double.Parse(fields[field], CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
                // A process that ended meanwhile, or a folder that is not a process: neither counts.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return ticks;
    }
}
