namespace Portal.Catalog.Queries;

/// <summary>
/// The searchable text of every entity at one catalog version, with a trigram index over it, in memory: what a
/// full-text query without other conditions compares, answered without reading a row. Immutable; a newer version is a
/// new snapshot (<see cref="FullTextIndex"/>).
/// The texts are PostgreSQL's own (the stored <c>search_text</c>, and each default field lower-cased by PostgreSQL
/// exactly as <see cref="FilterSql.FullText"/> compares it), so a match here is a match there, and entities are held
/// in PostgreSQL's order of <c>ref</c>: the first matches found are the page.
/// </summary>
internal sealed class FullTextSnapshot
{
    /// <summary>The fields a snapshot holds; a search naming any other field is answered by SQL.</summary>
    public static readonly string[] Fields = ["metadata.name", "metadata.title", "metadata.description", "metadata.tags"];

    // A posting list this many times longer than the candidates left is not worth intersecting: checking the
    // candidates' text (which must happen anyway, since trigrams only narrow) is cheaper than walking it.
    private const int LongListFactor = 8;

    private readonly string[] _refs;
    private readonly string[] _searchTexts;
    private readonly string[][] _fieldTexts; // per field in Fields order, per entity
    private readonly Dictionary<string, int> _slotByRef;
    private readonly Dictionary<ulong, int[]> _postings;

    private FullTextSnapshot(long version, string[] refs, string[] searchTexts, string[][] fieldTexts, Dictionary<ulong, int[]> postings)
    {
        Version = version;
        _refs = refs;
        _searchTexts = searchTexts;
        _fieldTexts = fieldTexts;
        _postings = postings;
        _slotByRef = new Dictionary<string, int>(refs.Length, StringComparer.Ordinal);
        for (var slot = 0; slot < refs.Length; slot++)
        {
            _slotByRef[refs[slot]] = slot;
        }
    }

    /// <summary>The catalog version the texts were read at.</summary>
    public long Version { get; }

    public int Count => _refs.Length;

    /// <summary>Builds a snapshot from rows in PostgreSQL's order of ref: ref, search_text, then one text per field.</summary>
    public static FullTextSnapshot Build(long version, List<string[]> rows)
    {
        var refs = new string[rows.Count];
        var searchTexts = new string[rows.Count];
        var fieldTexts = Fields.Select(_ => new string[rows.Count]).ToArray();
        var lists = new Dictionary<ulong, List<int>>();
        for (var slot = 0; slot < rows.Count; slot++)
        {
            var row = rows[slot];
            refs[slot] = row[0];
            searchTexts[slot] = row[1];
            for (var field = 0; field < Fields.Length; field++)
            {
                fieldTexts[field][slot] = row[2 + field];
            }

            var text = row[1];
            for (var i = 0; i + 3 <= text.Length; i++)
            {
                var key = Trigram(text, i);
                if (!lists.TryGetValue(key, out var list))
                {
                    lists[key] = list = [];
                }

                // Entities are added in slot order, so a repeat of a trigram within one text is the list's last entry.
                if (list.Count == 0 || list[^1] != slot)
                {
                    list.Add(slot);
                }
            }
        }

        var postings = new Dictionary<ulong, int[]>(lists.Count);
        foreach (var (key, list) in lists)
        {
            postings[key] = [.. list];
        }

        return new FullTextSnapshot(version, refs, searchTexts, fieldTexts, postings);
    }

    /// <summary>The position of <paramref name="entityRef"/> in ref order, if the snapshot holds it.</summary>
    public bool TryGetSlot(string entityRef, out int slot) => _slotByRef.TryGetValue(entityRef, out slot);

    /// <summary>
    /// Counts the entities whose text holds <paramref name="term"/> (lower-cased and trimmed, as the SQL compares it)
    /// and collects the refs of up to <paramref name="take"/> of them after <paramref name="afterSlot"/> and
    /// <paramref name="skip"/> more, in ref order. With <paramref name="fields"/> (indexes into <see cref="Fields"/>)
    /// one of those fields must hold it too, as in <see cref="FilterSql.FullText"/>.
    /// </summary>
    public (int Total, List<string> Page) Match(string term, int[]? fields, int afterSlot, int skip, int take)
    {
        var page = new List<string>(Math.Min(take, 64));
        var total = 0;
        foreach (var slot in Candidates(term))
        {
            if (!Matches(slot, term, fields))
            {
                continue;
            }

            total++;
            if (slot > afterSlot && page.Count < take)
            {
                if (skip > 0)
                {
                    skip--;
                }
                else
                {
                    page.Add(_refs[slot]);
                }
            }
        }

        return (total, page);
    }

    private bool Matches(int slot, string term, int[]? fields)
    {
        if (fields is not null)
        {
            // The named fields first: they are shorter, and most candidates that fail, fail there.
            var inField = false;
            foreach (var field in fields)
            {
                if (_fieldTexts[field][slot].Contains(term, StringComparison.Ordinal))
                {
                    inField = true;
                    break;
                }
            }

            if (!inField)
            {
                return false;
            }
        }

        return _searchTexts[slot].Contains(term, StringComparison.Ordinal);
    }

    /// <summary>Slots whose search text holds every trigram of the term (all slots for a term shorter than three), ascending.</summary>
    private IEnumerable<int> Candidates(string term)
    {
        if (term.Length < 3)
        {
            return Enumerable.Range(0, _refs.Length);
        }

        var lists = new List<int[]>();
        var seen = new HashSet<ulong>();
        for (var i = 0; i + 3 <= term.Length; i++)
        {
            var key = Trigram(term, i);
            if (!seen.Add(key))
            {
                continue;
            }

            if (!_postings.TryGetValue(key, out var list))
            {
                return [];
            }

            lists.Add(list);
        }

        lists.Sort((a, b) => a.Length.CompareTo(b.Length));
        IReadOnlyList<int> candidates = lists[0];
        foreach (var list in lists.Skip(1))
        {
            if (list.Length > candidates.Count * LongListFactor)
            {
                break; // sorted by length: every later list is longer still
            }

            candidates = Intersect(candidates, list);
        }

        return candidates;
    }

    // Both ascending; the result too. Each candidate is looked up by galloping from where the last one was found.
    private static List<int> Intersect(IReadOnlyList<int> candidates, int[] list)
    {
        var result = new List<int>(candidates.Count);
        var from = 0;
        foreach (var slot in candidates)
        {
            var step = 1;
            var to = from;
            while (to < list.Length && list[to] < slot)
            {
                from = to + 1;
                to += step;
                step *= 2;
            }

            var index = Array.BinarySearch(list, from, Math.Min(to + 1, list.Length) - from, slot);
            if (index >= 0)
            {
                result.Add(slot);
                from = index + 1;
            }
            else
            {
                from = ~index;
            }

            if (from >= list.Length)
            {
                break;
            }
        }

        return result;
    }

    private static ulong Trigram(string text, int at) => ((ulong)text[at] << 32) | ((ulong)text[at + 1] << 16) | text[at + 2];
}
