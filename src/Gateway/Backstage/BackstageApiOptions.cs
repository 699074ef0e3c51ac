namespace Portal.Gateway.Backstage;

/// <summary>Settings of the Backstage-compatible REST API (section <c>BackstageApi</c>).</summary>
internal sealed class BackstageApiOptions
{
    public const string Section = "BackstageApi";

    /// <summary>Largest JSON request body; enough for thousands of refs in one <c>/entities/by-refs</c>.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Reads the section once, at start-up, so that a bad value stops the boot instead of a request.</summary>
    public static BackstageApiOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<BackstageApiOptions>() ?? new BackstageApiOptions();
        return options.MaxRequestBytes is > 0 and <= 64 * 1024 * 1024
            ? options
            : throw new InvalidOperationException($"{Section}:MaxRequestBytes must be between 1 and {64 * 1024 * 1024}; it is {options.MaxRequestBytes}.");
    }
}
