using System.Text;
using Npgsql;

namespace Portal.Gateway.Tests.GraphQL;

/// <summary>
/// A list of problems is the first 100 (<c>CatalogLimits.MaxProblemsReported</c>) and a count of all of them, in every
/// answer and in what a location keeps: a file of a thousand invalid entities gets an answer of kilobytes, not of
/// megabytes.
/// </summary>
public sealed class Bounding_problem_lists(PortalApp portal) : IClassFixture<PortalApp>, IDisposable
{
    private const int Invalid = 1_000;
    private const int MaxAnswerChars = 50_000;

    private readonly string _folder = Directory.CreateTempSubdirectory("portal-graph-problems-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task ValidateEntities_of_a_thousand_invalid_documents_lists_the_first_100_problems_and_counts_them_all()
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync(
            "mutation($yaml: String!) { validateEntities(content: $yaml, source: \"many.yaml\") { valid problems { source document field message } problemCount } }",
            new { yaml = InvalidDocuments() });

        var report = response.Ok()["validateEntities"]!;
        Assert.False((bool)report["valid"]!);
        Assert.Equal(Invalid, (int)report["problemCount"]!);
        var problems = report["problems"]!.AsArray();
        Assert.Equal(100, problems.Count);
        Assert.Equal(Enumerable.Range(1, 100), problems.Select(p => (int)p!["document"]!));
        Assert.True(response.Text.Length < MaxAnswerChars, $"the answer is {response.Text.Length} characters");
    }

    [Fact]
    public async Task A_dry_run_of_a_file_of_a_thousand_invalid_entities_lists_the_first_100_problems_and_counts_them_all()
    {
        var file = Write("dry-many.yaml", InvalidDocuments());
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync(
            "mutation($target: String!) { registerLocation(type: \"file\", target: $target, dryRun: true) { problems { source document field message } problemCount } }",
            new { target = file });

        var result = response.Ok()["registerLocation"]!;
        Assert.Equal(Invalid, (int)result["problemCount"]!);
        Assert.Equal(100, result["problems"]!.AsArray().Count);
        Assert.True(response.Text.Length < MaxAnswerChars, $"the answer is {response.Text.Length} characters");
    }

    [Fact]
    public async Task A_registered_location_keeps_and_answers_the_first_100_problems_of_its_read_and_counts_them_all()
    {
        var file = Write("registered-many.yaml", InvalidDocuments());
        using var graph = new GraphClient(portal.CreateClient());

        var registered = (await graph.PostAsync(
            "mutation($target: String!) { registerLocation(type: \"file\", target: $target) { location { id problemCount problems { document } } problems { document } problemCount } }",
            new { target = file })).Ok()["registerLocation"]!;
        var id = (string)registered["location"]!["id"]!;
        var read = await graph.PostAsync("query($id: ID!) { location(id: $id) { problems { source document field message } problemCount } }", new { id });
        var listed = (await graph.PostAsync("{ locations { target problemCount problems { document } } }")).Ok()["locations"]!.AsArray()
            .Single(l => (string?)l!["target"] == file)!;
        var stored = await StoredProblemsAsync(Guid.Parse(id));

        Assert.Equal(Invalid, (int)registered["problemCount"]!);
        Assert.Equal(100, registered["problems"]!.AsArray().Count);
        Assert.Equal(Invalid, (int)registered["location"]!["problemCount"]!);
        Assert.Equal(100, registered["location"]!["problems"]!.AsArray().Count);
        var location = read.Ok()["location"]!;
        Assert.Equal(Invalid, (int)location["problemCount"]!);
        Assert.Equal(Enumerable.Range(1, 100), location["problems"]!.AsArray().Select(p => (int)p!["document"]!));
        Assert.True(read.Text.Length < MaxAnswerChars, $"the answer is {read.Text.Length} characters");
        Assert.Equal(Invalid, (int)listed["problemCount"]!);
        Assert.Equal(100, listed["problems"]!.AsArray().Count);
        Assert.Equal((100, Invalid), stored);
    }

    [Fact]
    public async Task An_invalid_entity_of_a_thousand_problems_is_an_error_listing_the_first_100_and_counting_them_all()
    {
        using var graph = new GraphClient(portal.CreateClient());
        var entity = new
        {
            apiVersion = "backstage.io/v1alpha1",
            kind = "Component",
            metadata = new { name = "depends-on-numbers" },
            spec = new { type = "service", lifecycle = "production", owner = "team-a", dependsOn = Enumerable.Range(0, Invalid).ToArray() },
        };

        var response = await graph.PostAsync("mutation($entity: JSON!) { upsertEntity(entity: $entity) { ref } }", new { entity });

        var error = response.Error("VALIDATION_FAILED");
        Assert.Equal(Invalid, (int)error["extensions"]!["problemCount"]!);
        var problems = error["extensions"]!["problems"]!.AsArray();
        Assert.Equal(100, problems.Count);
        Assert.Equal("spec.dependsOn[99]", (string?)problems[99]!["field"]);
        var message = (string)error["message"]!;
        Assert.Contains("spec.dependsOn[9]", message, StringComparison.Ordinal);
        Assert.DoesNotContain("spec.dependsOn[10]", message, StringComparison.Ordinal);
        Assert.EndsWith("; and 990 more", message, StringComparison.Ordinal);
        Assert.True(response.Text.Length < MaxAnswerChars, $"the answer is {response.Text.Length} characters");
    }

    /// <summary>A thousand Components, each with one problem: a name that is not a name.</summary>
    private static string InvalidDocuments()
    {
        var yaml = new StringBuilder();
        for (var i = 1; i <= Invalid; i++)
        {
            yaml.Append("---\n{apiVersion: backstage.io/v1alpha1, kind: Component, metadata: {name: \"bad name ").Append(i)
                .Append("\"}, spec: {type: service, lifecycle: production, owner: team-a}}\n");
        }

        return yaml.ToString();
    }

    private async Task<(int Kept, int Count)> StoredProblemsAsync(Guid id)
    {
        await using var connection = new NpgsqlConnection(portal.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var select = new NpgsqlCommand("SELECT jsonb_array_length(problems), problem_count FROM catalog.locations WHERE id = @id", connection);
        select.Parameters.AddWithValue("id", id);
        await using var reader = await select.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }
}
