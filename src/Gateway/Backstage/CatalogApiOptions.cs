namespace Portal.Gateway.Backstage;

/// <summary>Settings of the Backstage-compatible catalog REST API (section <c>BackstageApi</c>).</summary>
internal sealed class CatalogApiOptions
{
    public const string Section = "BackstageApi";

    /// <summary>Longest location target (a URL or path) the API accepts.</summary>
    public const int MaxTargetLength = 4096;

    /// <summary>Largest JSON request body; enough for thousands of refs in one <c>/entities/by-refs</c>.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Reads the section once, at start-up, so that a bad value stops the boot instead of a request.</summary>
    public static CatalogApiOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<CatalogApiOptions>() ?? new CatalogApiOptions();
        return options.MaxRequestBytes is > 0 and <= 64 * 1024 * 1024
            ? options
            : throw new InvalidOperationException($"{Section}:MaxRequestBytes must be between 1 and {64 * 1024 * 1024}; it is {options.MaxRequestBytes}.");
    }
}
