namespace Portal.Catalog.Locations;

/// <summary>One descriptor file read from a location target.</summary>
internal sealed record TargetFile(string Source, string Content)
{
    /// <summary>
    /// Why this one file of a folder could not be read (too large, unreadable), or null. Its siblings are still
    /// ingested, and the location removes nothing on that refresh.
    /// </summary>
    public string? Error { get; init; }

    public static TargetFile Unreadable(string source, string error) => new(source, "") { Error = error };
}

/// <summary>A target that cannot be read (missing, refused, timed out, too large); the message says which and why.</summary>
public sealed class LocationReadException(string message) : Exception(message);

/// <summary>A target that the configuration does not allow (a path outside the file roots, a host off the list).</summary>
public sealed class LocationForbiddenException(string message) : Exception(message);

/// <summary>Reads one kind of location target (<c>file</c>, <c>url</c>, <c>git</c>).</summary>
internal interface ILocationTargetReader
{
    string Type { get; }

    /// <summary>Refuses, before any read, a target the configuration does not allow; returns it normalised.</summary>
    string Validate(string target);

    /// <summary>The descriptor files of the target: the file itself, or a folder's descriptor files.</summary>
    Task<IReadOnlyList<TargetFile>> ReadAsync(string target, int maxFiles, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the target lives elsewhere (a URL, a GitHub repository) rather than on this server (a file, a local
    /// repository). A Location entity read from a remote target may only point at remote targets.
    /// </summary>
    bool IsRemote(string target);

    /// <summary>A Location entity's target, relative to the file that declared it.</summary>
    string Resolve(string declaringSource, string target);
}
