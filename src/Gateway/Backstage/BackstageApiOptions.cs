namespace Portal.Gateway.Backstage;

/// <summary>Settings of the Backstage-compatible REST API (section <c>BackstageApi</c>).</summary>
internal sealed class BackstageApiOptions
{
    public const string Section = "BackstageApi";

    private const int MaxRequestBytesLimit = 64 * 1024 * 1024;
    private const int MaxAnswerCacheMegabytes = 16 * 1024;
    private static readonly TimeSpan MinRequestTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxRequestTimeout = TimeSpan.FromHours(1);

    /// <summary>Largest JSON request body; enough for thousands of refs in one <c>/entities/by-refs</c>.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Longest a request may run, as <c>Graph:ExecutionTimeout</c> is for GraphQL: then its database work is cancelled
    /// (the cancel reaches PostgreSQL) and it is answered 503 with Backstage's error body and <c>Retry-After</c>. A
    /// registration or refresh reads its location within this time too.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Memory for the bodies of answers kept per catalog version (CatalogAnswerCache): pages, entities and facets asked
    /// for again before the catalog changes are sent from here. 0 turns it off.
    /// </summary>
    public int AnswerCacheMegabytes { get; set; } = 64;

    /// <summary>Reads the section once, at start-up, so that a bad value stops the boot instead of a request.</summary>
    public static BackstageApiOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<BackstageApiOptions>() ?? new BackstageApiOptions();
        if (options.MaxRequestBytes is <= 0 or > MaxRequestBytesLimit)
        {
            throw new InvalidOperationException($"{Section}:MaxRequestBytes must be between 1 and {MaxRequestBytesLimit}; it is {options.MaxRequestBytes}.");
        }

        if (options.RequestTimeout < MinRequestTimeout || options.RequestTimeout > MaxRequestTimeout)
        {
            throw new InvalidOperationException($"{Section}:RequestTimeout must be between {MinRequestTimeout} and {MaxRequestTimeout}; it is {options.RequestTimeout}.");
        }

        if (options.AnswerCacheMegabytes is < 0 or > MaxAnswerCacheMegabytes)
        {
            throw new InvalidOperationException($"{Section}:AnswerCacheMegabytes must be between 0 (off) and {MaxAnswerCacheMegabytes}; it is {options.AnswerCacheMegabytes}.");
        }

        return options;
    }
}
