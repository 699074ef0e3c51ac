using System.Diagnostics;
using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Model;

namespace Portal.Catalog.Tests.Descriptors;

/// <summary>Each file of conformance/catalog/invalid is rejected with one error naming the file, document and field or rule.</summary>
public sealed class Rejecting_the_invalid_corpus
{
    [Fact]
    public void Name_with_space_is_rejected_naming_metadata_name()
    {
        var (_, problem) = Read("name-with-space.yaml");

        Assert.Equal((1, "metadata.name"), (problem.Document, problem.Field));
        Assert.Equal(
            "name-with-space.yaml document 1, metadata.name: \"payments api\" is not a valid name: 1-63 characters of [a-zA-Z0-9], '-', '_', '.', starting and ending with a letter or digit",
            problem.ToString());
    }

    [Fact]
    public void Name_too_long_is_rejected_naming_the_limit()
    {
        var (_, problem) = Read("name-too-long.yaml");

        Assert.Equal((1, "metadata.name"), (problem.Document, problem.Field));
        Assert.Contains("over the limit of 63", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_owner_is_rejected_naming_spec_owner()
    {
        var (_, problem) = Read("missing-owner.yaml");

        Assert.Equal((1, "spec.owner", "is required"), (problem.Document, problem.Field, problem.Message));
    }

    [Fact]
    public void Javascript_link_is_rejected_naming_the_url()
    {
        var (_, problem) = Read("javascript-link.yaml");

        Assert.Equal((1, "metadata.links[0].url"), (problem.Document, problem.Field));
        Assert.Contains("not an absolute http, https or mailto URL", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_root_field_is_rejected_naming_the_key()
    {
        var (_, problem) = Read("unknown-root-field.yaml");

        Assert.Equal((1, "owner"), (problem.Document, problem.Field));
        Assert.StartsWith("unknown root field \"owner\"", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Depends_on_without_kind_is_rejected_naming_the_entry()
    {
        var (_, problem) = Read("depends-on-without-kind.yaml");

        Assert.Equal((1, "spec.dependsOn[0]"), (problem.Document, problem.Field));
        Assert.Contains("\"payments-db\" has no kind", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_tag_is_rejected_naming_the_tag()
    {
        var (_, problem) = Read("bad-tag.yaml");

        Assert.Equal((1, "metadata.tags[0]"), (problem.Document, problem.Field));
        Assert.StartsWith("\"Not_A_Valid Tag\" is not a valid tag", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_is_rejected_with_line_and_column()
    {
        var (batch, problem) = Read("malformed.yaml");

        Assert.True(batch.FileRejected);
        Assert.Equal(1, problem.Document);
        Assert.StartsWith("line 5, column 8: not valid YAML", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Alias_bomb_is_rejected_within_a_second_naming_the_node_limit()
    {
        var clock = Stopwatch.StartNew();

        var (batch, problem) = Read("alias-bomb.yaml");

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.True(batch.FileRejected);
        Assert.Equal(1, problem.Document);
        Assert.Contains("(Catalog:Descriptors:MaxNodes)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deep_nesting_is_rejected_within_a_second_naming_the_depth_limit()
    {
        var clock = Stopwatch.StartNew();

        var (batch, problem) = Read("deep-nesting.yaml");

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Assert.True(batch.FileRejected);
        Assert.Equal(1, problem.Document);
        Assert.Contains("(Catalog:Descriptors:MaxDepth)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_in_one_location_keeps_the_first_and_rejects_the_second()
    {
        var (batch, problem) = Read("duplicate-in-one-location.yaml");

        var kept = Assert.Single(batch.Entities);
        Assert.Equal((1, "service"), (kept.DocumentIndex, kept.Type));
        Assert.Equal((2, "metadata.name"), (problem.Document, problem.Field));
        Assert.Equal("duplicate entity ref component:default/twice: first defined in document 1", problem.Message);
    }

    private static (DescriptorBatch Batch, CatalogProblem Problem) Read(string file)
    {
        var content = File.ReadAllText(Descriptor.Conformance("invalid", file));
        var batch = Descriptor.Pipeline().ReadFile(file, content);
        var problem = Assert.Single(batch.Problems);
        Assert.Equal(ProblemLevel.Error, problem.Level);
        Assert.Equal(file, problem.Source);
        return (batch, problem);
    }
}
