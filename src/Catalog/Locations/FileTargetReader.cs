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
    private static readonly string[] DescriptorExtensions = [".yaml", ".yml", ".json"];

    public string Type => "file";

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

        var roots = options.Value.Locations.FileRoots.Select(root => Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)));
        if (!roots.Any(root => full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
        {
            throw new LocationForbiddenException(
                $"{full} is not under an allowed folder; file locations must lie under Catalog:Locations:FileRoots.");
        }

        return full;
    }

    public async Task<IReadOnlyList<TargetFile>> ReadAsync(string target, int maxFiles, CancellationToken cancellationToken)
    {
        var path = Validate(target);
        var maxBytes = options.Value.Descriptors.MaxFileBytes;
        if (File.Exists(path))
        {
            return [await ReadOneAsync(path, maxBytes, cancellationToken)];
        }

        if (!Directory.Exists(path))
        {
            throw new LocationReadException($"{path} does not exist.");
        }

        var files = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(file => DescriptorExtensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Take(maxFiles + 1)
            .ToList();
        if (files.Count > maxFiles)
        {
            throw new LocationReadException($"{path} holds more than {maxFiles} descriptor files (Catalog:Locations:MaxFiles).");
        }

        var read = new List<TargetFile>(files.Count);
        foreach (var file in files)
        {
            try
            {
                read.Add(await ReadOneAsync(file, maxBytes, cancellationToken));
            }
            catch (LocationReadException exception)
            {
                // One bad file in a folder is that file's problem; the others are still read.
                read.Add(TargetFile.Unreadable(file, exception.Message));
            }
        }

        return read;
    }

    public string Resolve(string declaringSource, string target) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(declaringSource) ?? "/", target));

    private static async Task<TargetFile> ReadOneAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            // The size of what a symbolic link points at, not of the link itself.
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
            {
                info = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
            }

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
