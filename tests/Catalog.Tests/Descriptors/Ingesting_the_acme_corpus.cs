using System.Text.Json.Nodes;
using Portal.Catalog.Model;

namespace Portal.Catalog.Tests.Descriptors;

public sealed class Ingesting_the_acme_corpus
{
    [Fact]
    public async Task Derives_exactly_the_relations_backstage_derives()
    {
        var expected = JsonNode.Parse(await File.ReadAllTextAsync(Descriptor.Conformance("acme", "expected.json"), TestContext.Current.CancellationToken))!["entities"]!.AsObject();
        var pipeline = Descriptor.Pipeline();
        var entities = new List<string>();
        var relations = new HashSet<EntityRelation>();

        foreach (var file in Directory.GetFiles(Descriptor.Conformance("acme"), "*.yaml"))
        {
            var batch = pipeline.ReadFile(Path.GetFileName(file), await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
            Assert.Empty(batch.Problems);
            entities.AddRange(batch.Entities.Select(e => e.Ref.Canonical));
            relations.UnionWith(batch.Entities.SelectMany(e => e.Relations));
        }

        Assert.Equal(expected.Select(e => e.Key).Order(StringComparer.Ordinal), entities.Order(StringComparer.Ordinal));
        foreach (var (entity, edges) in expected)
        {
            var want = edges!.AsArray().Select(edge => $"{edge![0]} {edge[1]}").Order(StringComparer.Ordinal);
            var got = relations.Where(r => r.Source.Canonical == entity).Select(r => $"{r.Type} {r.Target.Canonical}").Order(StringComparer.Ordinal);
            Assert.Equal(want, got);
        }

        Assert.All(relations, r => Assert.True(expected.ContainsKey(r.Source.Canonical), $"unexpected source {r.Source}"));
    }

    [Fact]
    public async Task Lists_the_targets_of_the_root_location()
    {
        var file = Descriptor.Conformance("acme", "catalog-info.yaml");

        var location = Assert.Single(Descriptor.Pipeline().ReadFile(file, await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)).Entities);

        Assert.Equal(["./org.yaml", "./systems.yaml", "./components.yaml", "./apis.yaml", "./resources.yaml"], location.LocationTargets);
        Assert.Null(location.LocationType);
        Assert.Empty(location.Relations);
    }
}
