using System.ComponentModel.DataAnnotations;

namespace Portal.Catalog.Ingestion.Descriptors;

/// <summary>
/// Bounds on one descriptor file, so that a hostile or broken file (an alias bomb, thousands of nested brackets, a huge
/// upload) is rejected quickly instead of exhausting memory or the stack. Bound from <c>Catalog:Descriptors</c>.
/// </summary>
public sealed class DescriptorLimits
{
    /// <summary>Largest file accepted, in UTF-8 bytes; larger files are rejected before parsing.</summary>
    [Range(1, int.MaxValue)]
    public int MaxFileBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Deepest nesting of mappings and sequences; the root mapping is depth 1.</summary>
    [Range(1, int.MaxValue)]
    public int MaxDepth { get; set; } = 64;

    /// <summary>Most YAML nodes (keys, values and collections) in one file, counting every alias as the nodes it expands to.</summary>
    [Range(1, int.MaxValue)]
    public int MaxNodes { get; set; } = 250_000;

    /// <summary>
    /// Most characters of text (every key and scalar value) one file may expand to, counting each alias as the text
    /// it brings, recursively. The node limit alone lets a few thousand aliases of one large scalar through, and every
    /// copy is later validated, serialized and stored: a 100 KB file once grew the process by 3 GB. At or above
    /// <see cref="MaxFileBytes"/>, a file without aliases never reaches it (a UTF-8 file holds at most as many
    /// characters as bytes).
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxExpandedCharacters { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most documents (<c>---</c> separated) in one file, empty ones included.</summary>
    [Range(1, int.MaxValue)]
    public int MaxDocuments { get; set; } = 10_000;
}
