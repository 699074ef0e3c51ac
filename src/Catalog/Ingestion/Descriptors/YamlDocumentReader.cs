using System.Text;
using System.Text.Json.Nodes;
using Portal.Catalog.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Portal.Catalog.Ingestion.Descriptors;

/// <summary>One document of a file: its root mapping, or why it was rejected. Empty documents are not listed.</summary>
internal readonly record struct ParsedDocument(int Index, JsonObject? Root, CatalogProblem? Problem);

/// <summary>The documents of a file, or the one problem that rejected the whole file.</summary>
internal sealed record YamlReadResult(IReadOnlyList<ParsedDocument> Documents, CatalogProblem? FileProblem);

/// <summary>
/// Turns a YAML (or JSON) stream into System.Text.Json nodes from YamlDotNet's event stream, never through its
/// deserializer or representation model: those expand aliases and nest without bounds. Depth, node count and text
/// size (both with alias expansions) and document count are checked on every event, so a hostile file stops early.
/// Not thread-safe: one instance reads one file.
/// </summary>
internal sealed class YamlDocumentReader
{
    private readonly string _source;
    private readonly DescriptorLimits _limits;
    private readonly List<Frame> _frames = [];
    private readonly Dictionary<string, Anchor> _anchors = new(StringComparer.Ordinal);
    private readonly List<ParsedDocument> _documents = [];
    private long _nodes;

    // Characters of every key and scalar value so far, each alias counted as the text it expands to.
    private long _characters;
    private int _depth;
    private int _documentIndex;
    private bool _inDocument;
    private JsonNode? _root;

    // The first problem of the current document. Its remaining events are then only counted, not built.
    private string? _documentError;

    private YamlDocumentReader(string source, DescriptorLimits limits)
    {
        _source = source;
        _limits = limits;
    }

    public static YamlReadResult Read(string source, string content, DescriptorLimits limits)
    {
        // Characters never outnumber UTF-8 bytes, so only a file near the limit pays for counting its bytes.
        if (content.Length > limits.MaxFileBytes
            || ((long)content.Length * 3 > limits.MaxFileBytes && Encoding.UTF8.GetByteCount(content) > limits.MaxFileBytes))
        {
            var problem = new CatalogProblem(ProblemLevel.Error, source, null, null,
                $"the file is larger than the limit of {limits.MaxFileBytes} bytes (Catalog:Descriptors:MaxFileBytes)");
            return new YamlReadResult([], problem);
        }

        return new YamlDocumentReader(source, limits).Run(content);
    }

    private YamlReadResult Run(string content)
    {
        var input = new StringReader(content);

        // YamlDotNet keeps a byte order mark as part of the first key ("\uFEFFapiVersion"); files saved by Windows
        // editors often start with one.
        if (content.StartsWith('\uFEFF'))
        {
            input.Read();
        }

        var parser = new Parser(input);
        try
        {
            while (parser.MoveNext())
            {
                if (Handle(parser.Current!) is { } fileError)
                {
                    return Reject(fileError);
                }
            }
        }
        catch (YamlException exception)
        {
            return Reject($"line {exception.Start.Line}, column {exception.Start.Column}: not valid YAML: {exception.Message}");
        }

        return new YamlReadResult(_documents, null);
    }

    private YamlReadResult Reject(string message)
    {
        // Between two documents the problem belongs to the next one.
        var document = _inDocument ? _documentIndex : _documentIndex + 1;
        return new YamlReadResult([], new CatalogProblem(ProblemLevel.Error, _source, document, null, message));
    }

    /// <summary>Handles one event; returns a message when the whole file must be rejected.</summary>
    private string? Handle(ParsingEvent parsingEvent)
    {
        switch (parsingEvent)
        {
            case DocumentStart:
                _documentIndex++;
                _inDocument = true;
                if (_documentIndex > _limits.MaxDocuments)
                {
                    return $"the file has more than {_limits.MaxDocuments} documents (Catalog:Descriptors:MaxDocuments)";
                }

                _anchors.Clear();
                _frames.Clear();
                _root = null;
                _depth = 0;
                _documentError = null;
                return null;
            case DocumentEnd:
                FinishDocument();
                _inDocument = false;
                return null;
            case MappingStart mapping:
                return Open(mapping, isMapping: true);
            case SequenceStart sequence:
                return Open(sequence, isMapping: false);
            case MappingEnd or SequenceEnd:
                Close();
                return null;
            case Scalar scalar:
                return OnScalar(scalar);
            case AnchorAlias alias:
                return OnAlias(alias);
            default:
                return null;
        }
    }

    private string? Open(NodeEvent start, bool isMapping)
    {
        if (++_nodes > _limits.MaxNodes)
        {
            return TooManyNodes(start);
        }

        if (++_depth > _limits.MaxDepth)
        {
            return TooDeep(start);
        }

        if (_documentError is not null)
        {
            return null;
        }

        if (IsExpectingKey)
        {
            DocumentError(start, "a mapping key must be a plain value, not a mapping or sequence");
            return null;
        }

        _frames.Add(new Frame(isMapping ? new JsonObject() : new JsonArray(), AnchorOf(start), _nodes, _characters));
        return null;
    }

    private void Close()
    {
        _depth--;
        if (_documentError is not null)
        {
            return;
        }

        var frame = _frames[^1];
        _frames.RemoveAt(_frames.Count - 1);
        Add(frame.Node, frame.Anchor, new Expansion(_nodes - frame.NodesAtStart + 1, _characters - frame.CharactersAtStart, frame.Height));
    }

    private string? OnScalar(Scalar scalar)
    {
        if (++_nodes > _limits.MaxNodes)
        {
            return TooManyNodes(scalar);
        }

        if (_documentError is not null)
        {
            return null;
        }

        _characters += scalar.Value.Length;
        if (_characters > _limits.MaxExpandedCharacters)
        {
            return TooMuchText(scalar);
        }

        if (_frames.Count > 0 && _frames[^1] is { Node: JsonObject mapping, Key: null } frame)
        {
            // JSON keys are strings: the key is taken as written, as Backstage's yaml.toJSON() does.
            if (mapping.ContainsKey(scalar.Value))
            {
                DocumentError(scalar, $"duplicate key {DescriptorText.Quote(scalar.Value)}");
                return null;
            }

            frame.Key = scalar.Value;
            if (AnchorOf(scalar) is { } keyAnchor)
            {
                _anchors[keyAnchor] = new Anchor(JsonValue.Create(scalar.Value), new Expansion(1, scalar.Value.Length, 0));
            }

            return null;
        }

        Add(YamlScalars.Resolve(scalar), AnchorOf(scalar), new Expansion(1, scalar.Value.Length, 0));
        return null;
    }

    private string? OnAlias(AnchorAlias alias)
    {
        if (_documentError is not null)
        {
            return ++_nodes > _limits.MaxNodes ? TooManyNodes(alias) : null;
        }

        if (!_anchors.TryGetValue(alias.Value.Value, out var anchor))
        {
            DocumentError(alias, $"alias *{alias.Value.Value} does not refer to an anchor defined before it");
            return null;
        }

        // Check the expansion before making it: this is what stops an alias bomb, of many nodes or of much text.
        _nodes += anchor.Size.Nodes;
        if (_nodes > _limits.MaxNodes)
        {
            return TooManyNodes(alias);
        }

        _characters += anchor.Size.Characters;
        if (_characters > _limits.MaxExpandedCharacters)
        {
            return TooMuchText(alias);
        }

        if (_depth + anchor.Size.Height > _limits.MaxDepth)
        {
            return TooDeep(alias);
        }

        if (IsExpectingKey)
        {
            DocumentError(alias, "an alias cannot be used as a mapping key");
            return null;
        }

        Add(anchor.Node?.DeepClone(), null, anchor.Size);
        return null;
    }

    /// <summary>Places a finished node in its parent, or makes it the document's root.</summary>
    private void Add(JsonNode? node, string? anchorName, Expansion size)
    {
        if (anchorName is not null)
        {
            _anchors[anchorName] = new Anchor(node, size);
        }

        if (_frames.Count == 0)
        {
            _root = node;
            return;
        }

        var parent = _frames[^1];
        parent.Height = Math.Max(parent.Height, size.Height + 1);
        if (parent.Node is JsonObject mapping)
        {
            mapping.Add(parent.Key!, node);
            parent.Key = null;
        }
        else
        {
            ((JsonArray)parent.Node).Add(node);
        }
    }

    private void FinishDocument()
    {
        if (_documentError is not null)
        {
            _documents.Add(new ParsedDocument(_documentIndex, null, DocumentProblem(null, _documentError)));
        }
        else if (_root is JsonObject root)
        {
            _documents.Add(new ParsedDocument(_documentIndex, root, null));
        }
        else if (_root is not null)
        {
            _documents.Add(new ParsedDocument(_documentIndex, null,
                DocumentProblem(null, $"a document must be a mapping (one entity), found {DescriptorText.Describe(_root)}")));
        }

        // An empty (null) document, such as the one after a trailing "---", is skipped, as Backstage does.
    }

    private bool IsExpectingKey => _frames.Count > 0 && _frames[^1] is { Node: JsonObject, Key: null };

    private void DocumentError(ParsingEvent at, string message) =>
        _documentError ??= $"line {at.Start.Line}, column {at.Start.Column}: {message}";

    private CatalogProblem DocumentProblem(string? field, string message) =>
        new(ProblemLevel.Error, _source, _documentIndex, field, message);

    private string TooManyNodes(ParsingEvent at) =>
        $"line {at.Start.Line}, column {at.Start.Column}: the file has more than {_limits.MaxNodes} nodes, counting alias expansions (Catalog:Descriptors:MaxNodes)";

    private string TooMuchText(ParsingEvent at) =>
        $"line {at.Start.Line}, column {at.Start.Column}: the file expands to more than {_limits.MaxExpandedCharacters} characters of keys and values, counting alias expansions (Catalog:Descriptors:MaxExpandedCharacters)";

    private string TooDeep(ParsingEvent at) =>
        $"line {at.Start.Line}, column {at.Start.Column}: mappings and sequences nest deeper than {_limits.MaxDepth} levels (Catalog:Descriptors:MaxDepth)";

    private static string? AnchorOf(NodeEvent node) => node.Anchor.IsEmpty ? null : node.Anchor.Value;

    private sealed class Frame(JsonNode node, string? anchor, long nodesAtStart, long charactersAtStart)
    {
        public JsonNode Node { get; } = node;

        public string? Anchor { get; } = anchor;

        public long NodesAtStart { get; } = nodesAtStart;

        public long CharactersAtStart { get; } = charactersAtStart;

        /// <summary>Levels of nesting from this collection down, itself included.</summary>
        public int Height { get; set; } = 1;

        /// <summary>For a mapping: the key read, waiting for its value.</summary>
        public string? Key { get; set; }
    }

    /// <summary>What a node costs each time an alias repeats it: its nodes, its characters of text, its levels of nesting.</summary>
    private readonly record struct Expansion(long Nodes, long Characters, int Height);

    private readonly record struct Anchor(JsonNode? Node, Expansion Size);
}
