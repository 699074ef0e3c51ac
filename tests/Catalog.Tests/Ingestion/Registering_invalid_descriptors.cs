using System.Diagnostics;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Testing;

namespace Portal.Catalog.Tests.Ingestion;

public sealed class Registering_invalid_descriptors(AcmeCatalog app) : IClassFixture<AcmeCatalog>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("name-with-space.yaml", "metadata.name")]
    [InlineData("name-too-long.yaml", "metadata.name")]
    [InlineData("missing-owner.yaml", "spec.owner")]
    [InlineData("javascript-link.yaml", "metadata.links[0].url")]
    [InlineData("unknown-root-field.yaml", null)]
    [InlineData("depends-on-without-kind.yaml", "spec.dependsOn[0]")]
    [InlineData("bad-tag.yaml", "metadata.tags[0]")]
    [InlineData("malformed.yaml", null)]
    [InlineData("alias-bomb.yaml", null)]
    [InlineData("deep-nesting.yaml", null)]
    [InlineData("duplicate-in-one-location.yaml", null)]
    public async Task Each_is_rejected_naming_the_file_and_nothing_else_is_lost(string file, string? field)
    {
        using var folder = new CatalogFolder();
        var path = folder.Write(file, await File.ReadAllTextAsync(SharedFiles.Path("conformance", "catalog", "invalid", file), Cancellation));
        var before = (await app.Get<EntityQueryService>().QueryAsync(new EntityQuery { Limit = 500 }, Cancellation)).TotalCount;
        var clock = Stopwatch.StartNew();

        var outcome = await app.Get<LocationService>().RegisterAsync("file", path, Cancellation);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        var problem = Assert.Single(outcome.Problems, p => p.Level == Model.ProblemLevel.Error);
        Assert.Equal(path, problem.Source);
        if (field is not null)
        {
            Assert.Equal(field, problem.Field);
            Assert.NotNull(problem.Document);
        }

        var after = (await app.Get<EntityQueryService>().QueryAsync(new EntityQuery { Limit = 500 }, Cancellation)).TotalCount;
        Assert.Equal(before + outcome.Created, after);
        Assert.NotNull(await app.Get<EntityQueryService>().GetAsync("component:default/payments-api", Cancellation));
    }
}
