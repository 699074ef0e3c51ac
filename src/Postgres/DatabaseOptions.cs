using System.ComponentModel.DataAnnotations;

namespace Portal.Postgres;

/// <summary>Settings of the <c>Database</c> section. The connection string itself is <c>ConnectionStrings:Portal</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Folder of the embedded PostgreSQL cluster, used when no connection string is set.</summary>
    [Required]
    public string DataDirectory { get; set; } = ".portal";

    /// <summary>Folder of the PostgreSQL server binaries for the embedded cluster; unset to look for them.</summary>
    public string? BinDirectory { get; set; }

    /// <summary>Apply pending migrations at start-up (under an advisory lock). Off when a migration Job runs them instead.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>
    /// PostgreSQL's <c>statement_timeout</c> on the portal's connections: the server ends any statement that runs
    /// longer. Keep it a little above the longest request time limit (<c>Graph:ExecutionTimeout</c>,
    /// <c>BackstageApi:RequestTimeout</c>, 15 s each): a request that runs out of time cancels its own statement
    /// first, and this ends what a lost cancel would leave running. Migrations and catalog writes (which wait for the
    /// catalog's write lock) are not held to it. <c>00:00:00</c> leaves the server's own setting. A connection string
    /// whose <c>Options</c> set <c>statement_timeout</c> keeps its own.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// PostgreSQL's <c>jit</c> on the portal's connections; off by default. The catalog's queries are short, and the
    /// compilation JIT starts for a plan it guesses is expensive can take longer than the query, and does not stop when
    /// the query is cancelled. A connection string whose <c>Options</c> set <c>jit</c> keeps its own.
    /// </summary>
    public bool Jit { get; set; }
}
