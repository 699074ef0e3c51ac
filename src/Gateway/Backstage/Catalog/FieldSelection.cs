namespace Portal.Gateway.Backstage.Catalog;

/// <summary>
/// Backstage's <c>fields</c> projection (<c>fields=kind,metadata.name,metadata.annotations</c>) as a tree of path
/// segments: a leaf keeps the whole value under it, an inner node keeps only its selected children. Keys that contain
/// dots themselves (<c>metadata.annotations.backstage.io/orphan</c>) are matched by walking their own dot-separated
/// parts through the tree.
/// </summary>
internal sealed class FieldSelection
{
    /// <summary>Everything: what no <c>fields</c> parameter means.</summary>
    public static readonly FieldSelection All = new() { IsLeaf = true };

    private readonly Dictionary<string, FieldSelection> _children = new(StringComparer.Ordinal);

    private FieldSelection()
    {
    }

    /// <summary>True when the whole value here is kept.</summary>
    public bool IsLeaf { get; private set; }

    /// <summary>The selection for dot paths already checked by <see cref="CatalogRequestParser.Path"/>; null when empty.</summary>
    public static FieldSelection? From(IReadOnlyCollection<string> paths)
    {
        if (paths.Count == 0)
        {
            return null;
        }

        var root = new FieldSelection();
        foreach (var path in paths)
        {
            var node = root;
            foreach (var segment in path.Split('.'))
            {
                if (node.IsLeaf)
                {
                    break; // a shorter path already keeps everything below it
                }

                if (!node._children.TryGetValue(segment, out var child))
                {
                    child = new FieldSelection();
                    node._children.Add(segment, child);
                }

                node = child;
            }

            node.IsLeaf = true;
            node._children.Clear();
        }

        return root;
    }

    /// <summary>What is kept of the property <paramref name="key"/>: null for nothing, a leaf for all of it.</summary>
    public FieldSelection? Select(string key)
    {
        if (IsLeaf)
        {
            return this;
        }

        var node = this;
        var rest = key.AsSpan();
        while (true)
        {
            var dot = rest.IndexOf('.');
            var segment = dot < 0 ? rest : rest[..dot];
            if (!node._children.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(segment, out var child))
            {
                return null;
            }

            if (dot < 0)
            {
                return child;
            }

            if (child.IsLeaf)
            {
                return null; // the path ends inside this key's name, so it names some other key
            }

            node = child;
            rest = rest[(dot + 1)..];
        }
    }

    /// <summary>True when the property <paramref name="key"/> is kept whole.</summary>
    public bool KeepsWhole(string key) => Select(key)?.IsLeaf == true;
}
