using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Portal.Catalog.Locations;

/// <summary>
/// <c>file</c> targets: a descriptor file, or a folder whose <c>.yaml</c>, <c>.yml</c> and <c>.json</c> files are
/// read recursively. Outside Development only paths under <c>Catalog:Locations:FileRoots</c> are allowed.
/// </summary>
internal sealed class FileTargetReader(IOptions<CatalogOptions> options, IHostEnvironment environment) : ILocationTargetReader
{
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
            read.Add(await ReadOneAsync(file, maxBytes, cancellationToken));
        }

        return read;
    }

    public string Resolve(string declaringSource, string target) =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(declaringSource) ?? "/", target));

    private static async Task<TargetFile> ReadOneAsync(string path, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > maxBytes)
            {
                throw new LocationReadException(
                    $"{path} is {info.Length} bytes, over the limit of {maxBytes} bytes (Catalog:Descriptors:MaxFileBytes).");
            }

            return new TargetFile(path, await File.ReadAllTextAsync(path, cancellationToken));
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
}
