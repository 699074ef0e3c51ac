using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using Portal.Catalog.Queries;

namespace Portal.Catalog.Tests.Queries;

public sealed class Computing_facets_once(AcmeCatalog catalog) : IClassFixture<AcmeCatalog>
{
    [Fact]
    public async Task Callers_missing_the_cache_together_share_one_computation()
    {
        var database = new NpgsqlConnectionStringBuilder(catalog.ConnectionString).Database;
        var facetScans = new ConcurrentBag<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if ((string?)activity.GetTagItem("db.namespace") == database
                    && ((string?)activity.GetTagItem("db.query.text") ?? "").Contains("GROUP BY v", StringComparison.Ordinal))
                {
                    facetScans.Add(activity.DisplayName);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var queries = catalog.Get<EntityQueryService>();
        string[] fields = ["spec.lifecycle", "metadata.namespace"];

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ =>
            Task.Run(() => queries.FacetsAsync(fields, EntityFilter.Equal("kind", "component"), TestContext.Current.CancellationToken))));

        Assert.Single(facetScans);
        Assert.All(answers, answer => Assert.Equal(4, answer["metadata.namespace"].Single().Count));
    }
}
