using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Portal.Benchmarks;

/// <summary>
/// The search terms the full-text lines rotate through (issue 14, item 3), so that no cache of one answer decides a
/// figure: every word of the generated entity names (the generator's nouns and adjectives, users' first and last names,
/// the kinds' name prefixes) and a few rarer substrings, down to one that matches nothing. Each term's number of
/// matching entities is counted from the generated files themselves, not from the catalog under test, so a line whose
/// totals disagree can be failed.
/// </summary>
internal sealed partial class FullTextTerms
{
    private readonly List<Descriptor> _entities;
    private readonly Dictionary<string, int> _nameOrTitle = [];
    private readonly Dictionary<string, int> _defaultFields = [];

    private FullTextTerms(List<Descriptor> entities, List<string> terms)
    {
        _entities = entities;
        Terms = terms;
        foreach (var term in terms)
        {
            _nameOrTitle[term] = entities.Count(e => e.NameOrTitleContains(term));
            _defaultFields[term] = entities.Count(e => e.DefaultFieldsContain(term));
        }
    }

    public IReadOnlyList<string> Terms { get; }

    public int Entities => _entities.Count;

    /// <summary>Entities whose name or title contains the term (case-insensitive): Backstage's match for the fields
    /// <c>metadata.name,metadata.title</c>.</summary>
    public int NameOrTitleMatches(string term) => _nameOrTitle.TryGetValue(term, out var count) ? count : Count(e => e.NameOrTitleContains(term));

    /// <summary>Entities whose name, title, description or a tag contains the term: Portal's search when no fields are
    /// named (GraphQL <c>search</c>, REST without <c>fullTextFilterFields</c>).</summary>
    public int DefaultFieldMatches(string term) => _defaultFields.TryGetValue(term, out var count) ? count : Count(e => e.DefaultFieldsContain(term));

    /// <summary>Reads every descriptor of the generated catalog (its entity files and its Location).</summary>
    public static FullTextTerms FromGeneratedCatalog(string folder)
    {
        var entities = new List<Descriptor>();
        foreach (var file in Directory.GetFiles(folder, "*.yaml").Order(StringComparer.Ordinal))
        {
            using var reader = File.OpenText(file);
            var stream = new YamlStream();
            stream.Load(reader);
            foreach (var document in stream.Documents)
            {
                if (document.RootNode is YamlMappingNode root && Child(root, "metadata") is YamlMappingNode metadata)
                {
                    entities.Add(new Descriptor(
                        Scalar(root, "kind") ?? "",
                        Scalar(metadata, "name") ?? "",
                        Scalar(metadata, "title"),
                        Scalar(metadata, "description"),
                        Child(metadata, "tags") is YamlSequenceNode tags ? [.. tags.OfType<YamlScalarNode>().Select(t => t.Value ?? "")] : []));
                }
            }
        }

        // Words of the names, not the generator's word lists copied here: the terms follow the data wherever it comes from.
        var words = entities.SelectMany(e => e.Name.Split('-', '.')).Where(w => w.Length >= 3 && w.All(char.IsAsciiLetterLower))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

        // Rarer ones: an adjective-noun pair of three components (some tenths of a percent), two whole names (one entity
        // each), the first generated entity's number (one entity of each kind) and a term nothing contains.
        var components = entities.Where(e => e.Kind == "Component").Select(e => e.Name).ToList();
        var rare = new List<string>();
        for (var i = 1; i <= 3 && components.Count > 0; i++)
        {
            rare.Add(NumberSuffix().Replace(components[components.Count * i / 4], ""));
        }

        rare.AddRange(components.Take(2));
        if (entities.Select(e => NumberSuffix().Match(e.Name)).FirstOrDefault(m => m.Success) is { } number)
        {
            rare.Add(number.Value);
        }

        rare.Add("no-such-entity");
        return new FullTextTerms(entities, [.. words.Concat(rare).Distinct(StringComparer.Ordinal)]);
    }

    /// <summary>Minimum, median and maximum matches per term, for the line's heading.</summary>
    public string Selectivity(Func<string, int> matches)
    {
        var counts = Terms.Select(matches).Order().ToList();
        static string Share(int count, int of) => $"{count} ({100.0 * count / Math.Max(1, of):F2} %)";
        return $"{Terms.Count} terms matching min {Share(counts[0], Entities)}, median {Share(counts[counts.Count / 2], Entities)}, max {Share(counts[^1], Entities)} of {Entities} entities";
    }

    /// <summary>
    /// Sends each term's request once over the gateway and compares the total it answers with the count from the generated
    /// files. Returns the first mismatch (or failed request) and how many there were, or null when every total is exact.
    /// </summary>
    public static async Task<string?> FirstMismatchAsync(
        IReadOnlyList<string> terms, GatewayLoad gateway, Func<string, (string Path, string? Body)> request, Func<JsonElement, int> total, Func<string, int> expected)
    {
        var mismatches = new string?[terms.Count];
        await Parallel.ForAsync(0, terms.Count, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
        {
            var term = terms[i];
            var (path, body) = request(term);
            try
            {
                using var answer = await gateway.ReadJsonAsync(path, body);
                var answered = total(answer.RootElement);
                mismatches[i] = answered == expected(term) ? null : $"'{term}' answered a total of {answered}, expected {expected(term)}";
            }
            catch (InvalidOperationException exception)
            {
                mismatches[i] = $"'{term}' failed: {exception.Message}";
            }
        });
        return mismatches.FirstOrDefault(m => m is not null) is { } first
            ? $"{mismatches.Count(m => m is not null)} of {terms.Count} terms wrong, first {first}"
            : null;
    }

    private int Count(Func<Descriptor, bool> match) => _entities.Count(match);

    private static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    [GeneratedRegex(@"-\d+$")]
    private static partial Regex NumberSuffix();

    private sealed record Descriptor(string Kind, string Name, string? Title, string? Description, string[] Tags)
    {
        public bool NameOrTitleContains(string term) => Has(Name, term) || Has(Title, term);

        public bool DefaultFieldsContain(string term) => NameOrTitleContains(term) || Has(Description, term) || Tags.Any(t => Has(t, term));

        private static bool Has(string? text, string term) => text is not null && text.Contains(term, StringComparison.OrdinalIgnoreCase);
    }
}
