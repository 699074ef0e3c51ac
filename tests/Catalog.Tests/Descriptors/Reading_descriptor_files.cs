using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Portal.Catalog.Ingestion.Descriptors;

namespace Portal.Catalog.Tests.Descriptors;

public sealed class Reading_descriptor_files
{
    [Fact]
    public void Reads_every_document_and_skips_empty_ones()
    {
        var yaml = "---\n" + Descriptor.Component("a") + "\n---\n# only a comment\n---\n" + Descriptor.Component("b") + "\n---\n";

        var batch = Descriptor.Read(yaml);

        Assert.Empty(batch.Problems);
        Assert.Equal([("a", 1), ("b", 3)], batch.Entities.Select(e => (e.Ref.Name, e.DocumentIndex)));
    }

    [Fact]
    public void Resolves_plain_scalars_with_the_yaml_1_2_core_schema()
    {
        var yaml = Descriptor.Component(spec: """
            values:
              yes: yes
              on: on
              no: NO
              t: true
              f: False
              n1: null
              n2: ~
              n3:
              int: 42
              negative: -7
              hex: 0x1F
              octal: 0o17
              float: 1.5
              exponent: 1e3
              infinity: .inf
              version: 1.10
              quotedInt: "42"
              quotedBool: 'true'
              tagged: !!str 12
              huge: 123456789012345678901234567890
            """);

        var values = Descriptor.Accept(yaml).Document["spec"]!["values"]!.AsObject();

        Assert.Equal(
            """{"yes":"yes","on":"on","no":"NO","t":true,"f":false,"n1":null,"n2":null,"n3":null,"int":42,"negative":-7,"hex":31,"octal":15,"float":1.5,"exponent":1000,"infinity":".inf","version":1.1,"quotedInt":"42","quotedBool":"true","tagged":"12","huge":1.2345678901234568E+29}""",
            values.ToJsonString());
    }

    [Fact]
    public void Reads_json_including_tab_indentation()
    {
        var json = "{\n\t\"apiVersion\": \"backstage.io/v1alpha1\",\n\t\"kind\": \"Group\",\n\t\"metadata\": {\"name\": \"team\", \"description\": \"a\\/b\"},\n\t\"spec\": {\"type\": \"team\", \"children\": []}\n}\n";

        var entity = Descriptor.Accept(json);

        Assert.Equal("group:default/team", entity.Ref.Canonical);
        Assert.Equal("a/b", (string?)entity.Document["metadata"]!["description"]);
    }

    [Fact]
    public void Reads_a_byte_order_mark_and_windows_line_endings()
    {
        var yaml = "\uFEFF" + Descriptor.Component().ReplaceLineEndings("\r\n");

        var entity = Descriptor.Accept(yaml);

        Assert.Equal(("component:default/payments-api", "service"), (entity.Ref.Canonical, entity.Type));
    }

    [Fact]
    public void Expands_aliases_into_independent_copies()
    {
        var yaml = Descriptor.Component(spec: """
            shared: &shared {replicas: 2, regions: [eu, us]}
            copy: *shared
            """);

        var spec = Descriptor.Accept(yaml).Document["spec"]!;

        Assert.Equal(spec["shared"]!.ToJsonString(), spec["copy"]!.ToJsonString());
        Assert.NotSame(spec["shared"], spec["copy"]);
    }

    [Fact]
    public void Keeps_other_documents_when_one_root_is_not_a_mapping()
    {
        var yaml = Descriptor.Component("a") + "\n---\n- just\n- a list\n";

        var batch = Descriptor.Read(yaml);

        Assert.Single(batch.Entities);
        var problem = Assert.Single(batch.Problems);
        Assert.Equal((2, "a document must be a mapping (one entity), found an array"), (problem.Document, problem.Message));
        Assert.False(batch.FileRejected);
    }

    [Fact]
    public void Rejects_a_document_with_a_duplicate_key_naming_line_and_column()
    {
        var problem = Descriptor.Reject("""
            apiVersion: backstage.io/v1alpha1
            kind: Component
            kind: API
            """);

        Assert.Equal((1, "line 3, column 1: duplicate key \"kind\""), (problem.Document, problem.Message));
    }

    [Fact]
    public void Rejects_an_alias_to_an_anchor_that_is_not_defined_before_it()
    {
        var problem = Descriptor.Reject(Descriptor.Component(spec: "loop: &a [*a]"));

        Assert.Contains("alias *a does not refer to an anchor defined before it", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_malformed_yaml_with_one_problem_naming_document_line_and_column()
    {
        var yaml = Descriptor.Component("a") + "\n---\nkind: Component\nmetadata: {name: [unclosed\n";

        var batch = Descriptor.Read(yaml);

        var problem = Assert.Single(batch.Problems);
        Assert.Empty(batch.Entities);
        Assert.True(batch.FileRejected);
        Assert.Equal(2, problem.Document);
        Assert.Matches(@"^line \d+, column \d+: not valid YAML", problem.Message);
    }

    [Fact]
    public void Rejects_a_10_MB_file_before_parsing_naming_the_limit()
    {
        var huge = Descriptor.Component(spec: "blob: \"" + new string('x', 10 * 1024 * 1024) + "\"");

        var problem = Descriptor.Reject(huge);

        Assert.Null(problem.Document);
        Assert.Equal("the file is larger than the limit of 4194304 bytes (Catalog:Descriptors:MaxFileBytes)", problem.Message);
    }

    [Fact]
    public void Counts_the_file_size_in_utf8_bytes()
    {
        var limits = new DescriptorLimits { MaxFileBytes = 1000 };
        var yaml = Descriptor.Component(metadata: "description: \"" + new string('é', 600) + "\"");

        var problem = Descriptor.Reject(yaml, limits);

        Assert.Contains("MaxFileBytes", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_an_alias_bomb_within_a_second()
    {
        var bomb = new StringBuilder(Descriptor.Component(spec: "bomb:"));
        bomb.Append("\n    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]");
        for (var level = 1; level < 20; level++)
        {
            bomb.Append($"\n    l{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 10))}]");
        }

        var clock = Stopwatch.StartNew();

        var problem = Descriptor.Reject(bomb.ToString());

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Contains("more than 250000 nodes, counting alias expansions", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    public void Rejects_600_000_levels_of_nesting_within_a_second_on_a_small_stack(string open, string close)
    {
        const int depth = 600_000;
        var yaml = Descriptor.Component(spec: "x: " + string.Concat(Enumerable.Repeat(open, depth)) + string.Concat(Enumerable.Repeat(close, depth)));
        DescriptorBatch? batch = null;

        // 256 KB of stack: were the parser or the builder recursive, this would overflow long before 600,000 levels.
        var clock = Stopwatch.StartNew();
        var thread = new Thread(() => batch = Descriptor.Read(yaml), maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        var problem = Assert.Single(batch!.Problems);
        Assert.Contains("nest deeper than 64 levels", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_nesting_up_to_the_depth_limit()
    {
        // The root mapping is level 1 and spec level 2, so 62 more levels reach the limit of 64 exactly.
        var yaml = Descriptor.Component(spec: "x: " + new string('[', 62) + new string(']', 62));

        var entity = Descriptor.Accept(yaml);

        Assert.NotNull(entity.Document["spec"]!["x"]);
        Descriptor.Reject(Descriptor.Component(spec: "x: " + new string('[', 63) + new string(']', 63)));
    }

    [Fact]
    public void Counts_alias_expansions_against_the_node_limit()
    {
        var limits = new DescriptorLimits { MaxNodes = 100 };
        var yaml = Descriptor.Component(spec: "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a, *a, *a, *a]");

        var problem = Descriptor.Reject(yaml, limits);

        Assert.Contains("more than 100 nodes", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Counts_the_text_an_alias_of_one_large_scalar_expands_to_and_stops_before_making_the_copies()
    {
        // 1,000 aliases of a 10 KB scalar: 1,002 nodes, far under the node limit, but 10 MB of text once expanded.
        var yaml = Descriptor.Component(spec: "big: &big " + new string('x', 10 * 1024) + "\ncopies: [" + string.Join(", ", Enumerable.Repeat("*big", 1_000)) + "]");
        var clock = Stopwatch.StartNew();

        var problem = Descriptor.Reject(yaml);

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.Equal(1, problem.Document);
        Assert.Matches(@"^line 11, column \d+: the file expands to more than 4194304 characters of keys and values, counting alias expansions \(Catalog:Descriptors:MaxExpandedCharacters\)$", problem.Message);
    }

    [Fact]
    public void Counts_an_alias_of_a_collection_as_all_the_text_inside_it_recursively()
    {
        // b holds ten copies of a (100 characters each) and its own keys; every alias of b brings all of that again.
        var limits = new DescriptorLimits { MaxExpandedCharacters = 20_000 };
        var a = new string('a', 100);
        var under = Descriptor.Component(spec: $"a: &a {a}\nb: &b {{k: [{string.Join(", ", Enumerable.Repeat("*a", 10))}]}}\nc: [*b, *b, *b, *b, *b, *b, *b, *b]");
        var over = Descriptor.Component(spec: $"a: &a {a}\nb: &b {{k: [{string.Join(", ", Enumerable.Repeat("*a", 10))}]}}\nc: [{string.Join(", ", Enumerable.Repeat("*b", 20))}]");

        var accepted = Descriptor.Read(under, limits);
        var problem = Descriptor.Reject(over, limits);

        Assert.Empty(accepted.Problems);
        Assert.Equal(8, accepted.Entities.Single().Document["spec"]!["c"]!.AsArray().Count);
        Assert.Contains("more than 20000 characters", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_more_documents_than_the_limit()
    {
        var limits = new DescriptorLimits { MaxDocuments = 3 };
        var yaml = string.Join("\n---\n", Enumerable.Range(1, 4).Select(i => Descriptor.Component($"c{i}")));

        var problem = Descriptor.Reject(yaml, limits);

        Assert.Equal((4, "the file has more than 3 documents (Catalog:Descriptors:MaxDocuments)"), (problem.Document, problem.Message));
    }

    [Fact]
    public void Gives_api_documents_their_own_copy()
    {
        var document = JsonNode.Parse("""{"apiVersion":"backstage.io/v1alpha1","kind":"Thing","metadata":{"name":"x"}}""")!.AsObject();

        var batch = Descriptor.Pipeline().ProcessDocument("api", 1, document);

        Assert.Equal("default", (string?)Assert.Single(batch.Entities).Document["metadata"]!["namespace"]);
        Assert.Null(document["metadata"]!["namespace"]);
    }
}
