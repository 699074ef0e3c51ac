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
}
