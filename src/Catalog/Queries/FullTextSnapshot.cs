namespace Portal.Catalog.Queries;

/// <summary>
/// The searchable text of every entity at one catalog version, with trigram indexes over it, in memory: what a
/// full-text query without other conditions compares, answered without reading a row. Immutable; a newer version is a
/// new snapshot (<see cref="FullTextIndex"/>).
/// The texts are PostgreSQL's own (the stored <c>search_text</c>, and each default field lower-cased by PostgreSQL
/// exactly as <see cref="FilterSql.FullText"/> compares it), so a match here is a match there; entities are held in
/// PostgreSQL's order of <c>ref</c>, so the first matches found are the page.
/// </summary>
internal sealed class FullTextSnapshot
{
    /// <summary>The fields a snapshot holds; a search naming any other field is answered by SQL.</summary>
    public static readonly string[] Fields = ["metadata.name", "metadata.title", "metadata.description", "metadata.tags"];

    // The fields with trigram lists of their own: the ones a search box names (Backstage's sends name and title). A
    // search of the others narrows by the search text's lists, which hold theirs too.
    private const int IndexedFields = 2;

    // A posting list this many times longer than the candidates left is not worth intersecting: checking the
    // candidates' text (which must happen anyway, since trigrams only narrow) costs less than walking it.
    private const int LongListFactor = 8;

    private readonly string[] _refs;
    private readonly TextColumn _search;
    private readonly TextColumn[] _fields;
    private readonly Trigrams _searchTrigrams;
    private readonly Trigrams[] _fieldTrigrams;

    // Per field and entity: the field's text lies within the search text, so a term found in the field is in the search
    // text too (the SQL asks for both), and the second look is skipped. Not so for tags (compared as JSON text).
    private readonly bool[][] _inSearchText;
    private readonly Dictionary<string, int> _slotByRef;

    private FullTextSnapshot(long version, List<string[]> rows)
    {
        Version = version;
        _refs = [.. rows.Select(r => r[0])];
        _search = new TextColumn(rows, 1);
        _fields = [.. Fields.Select((_, f) => new TextColumn(rows, 2 + f))];
        _searchTrigrams = new Trigrams(_search);
        _fieldTrigrams = [.. _fields.Take(IndexedFields).Select(column => new Trigrams(column))];
        _inSearchText = [.. Fields.Select((field, f) => field == "metadata.tags"
            ? new bool[rows.Count]
            : rows.Select(r => r[1].Contains(r[2 + f], StringComparison.Ordinal)).ToArray())];
        _slotByRef = new Dictionary<string, int>(_refs.Length, StringComparer.Ordinal);
        for (var slot = 0; slot < _refs.Length; slot++)
        {
            _slotByRef[_refs[slot]] = slot;
        }
    }

    /// <summary>The catalog version the texts were read at.</summary>
    public long Version { get; }

    /// <summary>Builds a snapshot from rows in PostgreSQL's order of ref: ref, search_text, then one text per field.</summary>
    public static FullTextSnapshot Build(long version, List<string[]> rows) => new(version, rows);

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
        List<int> matches;
        if (fields is null)
        {
            matches = Verified(_searchTrigrams.Candidates(term, _refs.Length), slot => _search.Contains(slot, term), exact: term.Length == 3);
        }
        else
        {
            matches = [];
            foreach (var field in fields.Distinct())
            {
                var column = _fields[field];
                var inSearchText = _inSearchText[field];
                var found = field < IndexedFields
                    ? Verified(_fieldTrigrams[field].Candidates(term, _refs.Length), slot => column.Contains(slot, term) && (inSearchText[slot] || _search.Contains(slot, term)), exact: false)
                    : Verified(_searchTrigrams.Candidates(term, _refs.Length), slot => column.Contains(slot, term) && (inSearchText[slot] || _search.Contains(slot, term)), exact: false);
                matches = matches.Count == 0 ? found : Union(matches, found);
            }
        }

        var start = matches.BinarySearch(afterSlot + 1);
        start = (start < 0 ? ~start : start) + skip;
        var page = new List<string>(Math.Max(0, Math.Min(take, matches.Count - start)));
        for (var i = start; i < matches.Count && page.Count < take; i++)
        {
            page.Add(_refs[matches[i]]);
        }

        return (matches.Count, page);
    }

    private static List<int> Verified(int[] candidates, Func<int, bool> matches, bool exact)
    {
        if (exact)
        {
            return [.. candidates];
        }

        var result = new List<int>(candidates.Length);
        foreach (var slot in candidates)
        {
            if (matches(slot))
            {
                result.Add(slot);
            }
        }

        return result;
    }

    private static List<int> Union(List<int> a, List<int> b)
    {
        var result = new List<int>(a.Count + b.Count);
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            if (j == b.Count || (i < a.Count && a[i] < b[j]))
            {
                result.Add(a[i++]);
            }
            else if (i == a.Count || b[j] < a[i])
            {
                result.Add(b[j++]);
            }
            else
            {
                result.Add(a[i++]);
                j++;
            }
        }

        return result;
    }

    /// <summary>One text per entity, end to end in one array: candidates are checked in slot order, so reading is sequential.</summary>
    private sealed class TextColumn
    {
        private readonly char[] _chars;
        private readonly int[] _starts;

        public TextColumn(List<string[]> rows, int column)
        {
            _starts = new int[rows.Count + 1];
            var length = 0L;
            for (var slot = 0; slot < rows.Count; slot++)
            {
                _starts[slot] = checked((int)length);
                length += rows[slot][column].Length;
            }

            _starts[rows.Count] = checked((int)length);
            _chars = new char[length];
            for (var slot = 0; slot < rows.Count; slot++)
            {
                rows[slot][column].CopyTo(_chars.AsSpan(_starts[slot]));
            }
        }

        public int Count => _starts.Length - 1;

        public ReadOnlySpan<char> this[int slot] => _chars.AsSpan(_starts[slot], _starts[slot + 1] - _starts[slot]);

        public bool Contains(int slot, string term) => this[slot].Contains(term, StringComparison.Ordinal);
    }

    /// <summary>For each trigram of a column, the slots whose text holds it, ascending.</summary>
    private sealed class Trigrams
    {
        private readonly Dictionary<ulong, int[]> _postings;

        public Trigrams(TextColumn column)
        {
            var lists = new Dictionary<ulong, List<int>>();
            for (var slot = 0; slot < column.Count; slot++)
            {
                var text = column[slot];
                for (var i = 0; i + 3 <= text.Length; i++)
                {
                    var key = Key(text, i);
                    if (!lists.TryGetValue(key, out var list))
                    {
                        lists[key] = list = [];
                    }

                    // Slots come in order, so a trigram repeated within one text is its list's last entry.
                    if (list.Count == 0 || list[^1] != slot)
                    {
                        list.Add(slot);
                    }
                }
            }

            _postings = new Dictionary<ulong, int[]>(lists.Count);
            foreach (var (key, list) in lists)
            {
                _postings[key] = [.. list];
            }
        }

        /// <summary>Slots whose text holds every trigram of the term (every slot for a term shorter than three), ascending.</summary>
        public int[] Candidates(string term, int count)
        {
            if (term.Length < 3)
            {
                return [.. Enumerable.Range(0, count)];
            }

            var lists = new List<int[]>();
            for (var i = 0; i + 3 <= term.Length; i++)
            {
                if (!_postings.TryGetValue(Key(term, i), out var list))
                {
                    return [];
                }

                if (!lists.Contains(list))
                {
                    lists.Add(list);
                }
            }

            lists.Sort((a, b) => a.Length.CompareTo(b.Length));
            var candidates = lists[0];
            foreach (var list in lists.Skip(1))
            {
                if (list.Length > candidates.Length * LongListFactor)
                {
                    break; // sorted by length: every later list is longer still
                }

                candidates = Intersect(candidates, list);
            }

            return candidates;
        }

        // Both ascending, and of comparable length (LongListFactor): a merge.
        private static int[] Intersect(int[] a, int[] b)
        {
            var result = new List<int>(a.Length);
            int i = 0, j = 0;
            while (i < a.Length && j < b.Length)
            {
                if (a[i] < b[j])
                {
                    i++;
                }
                else if (b[j] < a[i])
                {
                    j++;
                }
                else
                {
                    result.Add(a[i]);
                    i++;
                    j++;
                }
            }

            return [.. result];
        }

        private static ulong Key(ReadOnlySpan<char> text, int at) => ((ulong)text[at] << 32) | ((ulong)text[at + 1] << 16) | text[at + 2];
    }
}
