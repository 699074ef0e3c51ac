using System.ComponentModel.DataAnnotations;
using Portal.Catalog.Ingestion.Descriptors;

namespace Portal.Catalog;

/// <summary>Settings of the catalog, bound from the <c>Catalog</c> configuration section.</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    public LocationOptions Locations { get; set; } = new();

    /// <summary>Limits on one descriptor file (size, depth, nodes and text including alias expansions, documents).</summary>
    public DescriptorLimits Descriptors { get; set; } = new();

    /// <summary>What happens to an entity its location no longer emits: deleted, or kept and marked orphan.</summary>
    public OrphanStrategy OrphanStrategy { get; set; } = OrphanStrategy.Delete;

    /// <summary>How full-text search is answered.</summary>
    public SearchOptions Search { get; set; } = new();
}

public sealed class SearchOptions
{
    /// <summary>
    /// Largest catalog whose searchable text is held in memory, so that full-text search without other conditions is
    /// answered without reading rows (about 1 KB an entity); a larger catalog, or 0, is searched by SQL only.
    /// </summary>
    [Range(0, 10_000_000)]
    public int MaxIndexedEntities { get; set; } = 250_000;
}

public sealed class LocationOptions
{
    /// <summary>
    /// Folders under which <c>file</c> targets may lie, outside the Development environment (where any readable path
    /// is allowed). Empty: no file targets.
    /// </summary>
    public List<string> FileRoots { get; set; } = [];

    /// <summary>Hosts that <c>url</c> targets may name (exact host names, or <c>*.example.com</c>).</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Allow URL targets that resolve to loopback, link-local or private addresses. Off: they are refused.</summary>
    public bool AllowPrivateAddresses { get; set; }

    /// <summary>How often every location is refreshed in the background; zero turns the periodic refresh off.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Time allowed for one read of a URL target, and for one GitHub API request.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Most files one location may pull in (folders, Location entities and their targets included).</summary>
    [Range(1, 1_000_000)]
    public int MaxFiles { get; set; } = 10_000;

    /// <summary>
    /// Most bytes of descriptor files one location read may pull in, across every file and every target it reaches
    /// (each file is also held to <c>Catalog:Descriptors:MaxFileBytes</c>). Past it the whole read is refused.
    /// </summary>
    [Range(typeof(long), "1024", "17179869184")]
    public long MaxBytesPerRead { get; set; } = 64 * 1024 * 1024;

    /// <summary>GitHub access for <c>git</c> targets on GitHub (or GitHub Enterprise).</summary>
    public GitHubOptions GitHub { get; set; } = new();

    /// <summary>How deep Location entities may nest (a Location whose target holds a Location ...).</summary>
    [Range(1, 100)]
    public int MaxDepth { get; set; } = 10;
}

public sealed class GitHubOptions
{
    /// <summary>The web host of repository URLs (<c>github.com</c>, or a GitHub Enterprise host).</summary>
    public string Host { get; set; } = "github.com";

    /// <summary>The REST API base; GitHub Enterprise uses <c>https://HOST/api/v3/</c>.</summary>
    public Uri ApiUrl { get; set; } = new("https://api.github.com/");

    /// <summary>A token with read access to the repositories; never logged. Unset: anonymous (public repositories, low rate limit).</summary>
    public string? Token { get; set; }
}

public enum OrphanStrategy
{
    /// <summary>Delete entities their location stopped emitting.</summary>
    Delete,

    /// <summary>Keep them, annotated <c>backstage.io/orphan: 'true'</c>.</summary>
    Keep,
}
