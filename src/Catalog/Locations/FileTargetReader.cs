using System.IO.Enumeration;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Portal.Catalog.Locations;

/// <summary>
/// <c>file</c> targets: a descriptor file, or a folder whose <c>.yaml</c>, <c>.yml</c> and <c>.json</c> files are
/// read recursively. Outside Development only paths under <c>Catalog:Locations:FileRoots</c> are allowed.
/// </summary>
internal sealed class FileTargetReader(IOptions<CatalogOptions> options, IHostEnvironment environment) : ILocationTargetReader
{
    private const int ChunkBytes = 16 * 1024;
    private const int MaxLinks = 40;
    private static readonly string[] DescriptorExtensions = [".yaml", ".yml", ".json"];

    public string Type => "file";

    public Task<string> ValidateAsync(string target, CancellationToken cancellationToken) => Task.FromResult(Validate(target));

    /// <summary>The synchronous check of <see cref="ValidateAsync"/>: it only looks at paths and links.</summary>
    public string Validate(string target)
    {
        if (string.IsNullOrWhiteSpace(target))
        {
            throw new LocationForbiddenException("A file location needs a target path.");
        }

        var full = Path.GetFullPath(target);
        if (environment.IsDevelopment())
        {
            return full;
        }

        var roots = options.Value.Locations.FileRoots.Select(root => Path.TrimEndingDirectorySeparator(Path.GetFullPath(root))).ToList();
        if (!IsUnder(full, roots))
        {
            throw new LocationForbiddenException(
                $"{full} is not under an allowed folder; file locations must lie under Catalog:Locations:FileRoots.");
        }

        // A symbolic link under a root may point anywhere: what counts is where the path really leads.
        CheckRealPath(full, RealPath(full), RealRoots(roots));
        return full;
    }

    public async Task<IReadOnlyList<TargetFile>> ReadAsync(string target, int maxFiles, LocationReadBudget budget, CancellationToken cancellationToken)
    {
        var path = Validate(target);
        var maxBytes = options.Value.Descriptors.MaxFileBytes;
        var real = RealPath(path);
        if (File.Exists(real))
        {
            return [await ReadOneAsync(path, real, maxBytes, budget, cancellationToken)];
        }

        if (!Directory.Exists(real))
        {
            throw new LocationReadException($"{path} does not exist.");
        }

        var enumeration = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        var entries = new FileSystemEnumerable<string>(path, (ref entry) => entry.ToFullPath(), enumeration)
        {
            ShouldIncludePredicate = (ref entry) => !entry.IsDirectory,

            // Links to folders are not followed: they can loop, or lead out of the allowed folders.
            ShouldRecursePredicate = (ref entry) => (entry.Attributes & FileAttributes.ReparsePoint) == 0,
        };
        var files = entries
            .Where(file => DescriptorExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Take(maxFiles + 1)
            .ToList();
        if (files.Count > maxFiles)
        {
            throw new LocationReadException($"{path} holds more than {maxFiles} descriptor files (Catalog:Locations:MaxFiles).");
        }

        // Resolved once per read, not once per file: a folder may hold thousands of descriptors.
        var realRoots = environment.IsDevelopment()
            ? []
            : RealRoots(options.Value.Locations.FileRoots.Select(root => Path.TrimEndingDirectorySeparator(Path.GetFullPath(root))));
        var read = new List<TargetFile>(files.Count);
        foreach (var file in files)
        {
            try
            {
                var realFile = RealPath(file);
                if (!environment.IsDevelopment())
                {
                    CheckRealPath(file, realFile, realRoots);
                }

                read.Add(await ReadOneAsync(file, realFile, maxBytes, budget, cancellationToken));
            }
            catch (Exception exception) when (exception is LocationReadException or LocationForbiddenException)
            {
                // One bad file in a folder is that file's problem; the others are still read.
                read.Add(TargetFile.Unreadable(file, exception.Message));
            }
        }

        return read;
    }

    /// <summary>
    /// The path with every symbolic link resolved, component by component, as the kernel resolves it (at most
    /// <see cref="MaxLinks"/> links). Reads then open this path, so what is read is what was checked.
    /// </summary>
    internal static string RealPath(string path)
    {
        var links = 0;
        return Resolve(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)), ref links);

        static string Resolve(string full, ref int links)
        {
            var parent = Path.GetDirectoryName(full);
            if (parent is null)
            {
                return full;
            }

            var resolvedParent = Resolve(parent, ref links);
            var candidate = Path.Combine(resolvedParent, Path.GetFileName(full));
            string? target;
            try
            {
                target = new FileInfo(candidate).LinkTarget;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                target = null;
            }

            if (target is null)
            {
                return candidate;
            }

            if (++links > MaxLinks)
            {
                throw new LocationReadException($"{full} goes through more than {MaxLinks} symbolic links.");
            }

            return Resolve(Path.TrimEndingDirectorySeparator(Path.GetFullPath(target, resolvedParent)), ref links);
        }
    }

    /// <summary>
    /// Refuses a place a target leads to other than through its own path (a git repository's data, which a <c>.git</c>
    /// file, git's configuration or alternates may keep anywhere) unless it really lies under a root, its links
    /// resolved. Outside Development only, as every root check.
    /// </summary>
    /// <param name="target">The target, as its refusal names it.</param>
    /// <param name="place">The place, absolute.</param>
    /// <param name="what">What the target keeps there, e.g. "git directory".</param>
    internal void RequireUnderRoots(string target, string place, string what)
    {
        if (environment.IsDevelopment())
        {
            return;
        }

        var real = RealPath(place);
        var realRoots = RealRoots(options.Value.Locations.FileRoots.Select(root => Path.TrimEndingDirectorySeparator(Path.GetFullPath(root))));
        if (!IsUnder(real, realRoots))
        {
            throw new LocationForbiddenException(
                $"{target} keeps its {what} in {real}, which is not under an allowed folder (Catalog:Locations:FileRoots).");
        }
    }

    private static bool IsUnder(string path, IEnumerable<string> roots) =>
        roots.Any(root => path == root || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    private static List<string> RealRoots(IEnumerable<string> roots) => roots.Select(RealPath).ToList();

    private static void CheckRealPath(string path, string real, IReadOnlyList<string> realRoots)
    {
        if (!IsUnder(real, realRoots))
        {
            throw new LocationForbiddenException(
                $"{path} leads to {real} through a symbolic link, which is not under an allowed folder (Catalog:Locations:FileRoots).");
        }
    }

    public bool IsRemote(string target) => false;

    public string Resolve(string declaringSource, string target) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(declaringSource) ?? "/", target));

    /// <summary>Reads <paramref name="real"/> (links resolved, so sizes are the target's), reporting it as <paramref name="path"/>.</summary>
    private static async Task<TargetFile> ReadOneAsync(string path, string real, int maxBytes, LocationReadBudget budget, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(real);

            if (info.Length > maxBytes)
            {
                throw TooLarge(path, info.Length, maxBytes);
            }

            // Pipes, devices and kernel files report no size and may never end (or never open): a descriptor file that
            // is really empty holds no entity either, so none of them is opened.
            if (info.Length == 0)
            {
                return new TargetFile(path, "");
            }

            // The size checked above may be stale by the time the file is read; the read itself stops at the limit.
            await using var stream = new FileStream(info.FullName, new FileStreamOptions
            {
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
                BufferSize = 0,
            });
            using var buffer = new MemoryStream((int)info.Length);
            var chunk = new byte[ChunkBytes];
            int count;
            while ((count = await stream.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + count > maxBytes)
                {
                    throw TooLarge(path, null, maxBytes);
                }

                budget.Take(count);
                buffer.Write(chunk, 0, count);
            }

            buffer.Position = 0;
            using var text = new StreamReader(buffer, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return new TargetFile(path, await text.ReadToEndAsync(cancellationToken));
        }
        catch (IOException exception)
        {
            throw new LocationReadException($"{path} cannot be read: {exception.Message}");
        }
        catch (UnauthorizedAccessException)
        {
            throw new LocationReadException($"{path} cannot be read: permission denied.");
        }
    }

    private static LocationReadException TooLarge(string path, long? bytes, int maxBytes) =>
        new($"{path} is {(bytes is { } size ? $"{size} bytes, " : "")}over the limit of {maxBytes} bytes (Catalog:Descriptors:MaxFileBytes).");
}
