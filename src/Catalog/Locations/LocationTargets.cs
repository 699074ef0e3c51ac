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

/// <summary>
/// The bytes one location read may still pull in (<c>Catalog:Locations:MaxBytesPerRead</c>), shared by every target the
/// read reaches (Location entities included). Readers take from it as bytes arrive, before buffering them, so a read
/// past the budget stops at the budget however many files it has left. One read at a time uses it: not thread-safe.
/// </summary>
/// <param name="location">The location read, <c>type:target</c>, as the refusal names it.</param>
/// <param name="maxBytes">The budget.</param>
internal sealed class LocationReadBudget(string location, long maxBytes)
{
    private long _used;

    /// <summary>What is left; a reader that knows a file's size before reading it can refuse it without a byte read.</summary>
    public long Remaining => maxBytes - _used;

    /// <summary>Counts <paramref name="bytes"/> more, or throws <see cref="LocationBudgetExceededException"/> when that passes the budget.</summary>
    public void Take(long bytes)
    {
        if (bytes > Remaining)
        {
            throw Exceeded();
        }

        _used += bytes;
    }

    /// <summary>Throws unless <paramref name="bytes"/> more would fit; counts nothing (for sizes known before a download).</summary>
    public void Require(long bytes)
    {
        if (bytes > Remaining)
        {
            throw Exceeded();
        }
    }

    private LocationBudgetExceededException Exceeded() => new(
        $"Location {location} pulls in more than {maxBytes} bytes of descriptor files in one read (Catalog:Locations:MaxBytesPerRead); the read was refused and nothing of it is ingested.");
}

/// <summary>
/// A location read past its <see cref="LocationReadBudget"/>: the whole read's failure, not one file's, so no reader
/// catches it as a file's problem; <see cref="LocationService"/> answers it as an unreadable location.
/// </summary>
internal sealed class LocationBudgetExceededException(string message) : Exception(message);

/// <summary>A target that the configuration does not allow (a path outside the file roots, a host off the list).</summary>
public sealed class LocationForbiddenException(string message) : Exception(message);

/// <summary>Reads one kind of location target (<c>file</c>, <c>url</c>, <c>git</c>).</summary>
internal interface ILocationTargetReader
{
    string Type { get; }

    /// <summary>
    /// Refuses, before any read, a target the configuration does not allow; returns it normalised. Bounded by the
    /// caller's <paramref name="cancellationToken"/> (a request's time limit): a local git target asks git where it is.
    /// </summary>
    Task<string> ValidateAsync(string target, CancellationToken cancellationToken);

    /// <summary>
    /// The descriptor files of the target: the file itself, or a folder's descriptor files; at most
    /// <paramref name="maxFiles"/>, and their bytes taken from <paramref name="budget"/> as they are read.
    /// </summary>
    Task<IReadOnlyList<TargetFile>> ReadAsync(string target, int maxFiles, LocationReadBudget budget, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the target lives elsewhere (a URL, a GitHub repository) rather than on this server (a file, a local
    /// repository). A Location entity read from a remote target may only point at remote targets.
    /// </summary>
    bool IsRemote(string target);

    /// <summary>A Location entity's target, relative to the file that declared it.</summary>
    string Resolve(string declaringSource, string target);
}
