using System.Text.Json;

namespace Portal.Gateway.Tests.GraphQL;

public sealed class Changing_the_catalog_over_GraphQL(PortalApp portal) : IClassFixture<PortalApp>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portal-graph-mutations-").FullName;

    [Fact]
    public async Task A_registered_location_is_queryable_when_the_mutation_returns_and_can_be_refreshed_and_unregistered()
    {
        var file = Write("team.yaml", Component("billing", "service"));
        using var graph = new GraphClient(portal.CreateClient());

        var registered = (await graph.PostAsync("""
            mutation($target: String!) {
              registerLocation(type: "file", target: $target) { location { id type target } created entityRefs entities { ref ... on Component { type } } problems { message } }
            }
            """, new { target = file })).Ok()["registerLocation"]!;
        var id = (string)registered["location"]!["id"]!;
        var visible = (await graph.PostAsync("""{ entity(ref: "component:billing") { ref } }""")).Ok();

        File.WriteAllText(file, Component("billing", "website"));
        var refreshed = (await graph.PostAsync("mutation($id: ID!) { refreshLocation(id: $id) { updated entities { ... on Component { type } } } }", new { id })).Ok()["refreshLocation"]!;
        var unregistered = (await graph.PostAsync("mutation($id: ID!) { unregisterLocation(id: $id) }", new { id })).Ok();
        var gone = (await graph.PostAsync("""{ entity(ref: "component:billing") { ref } }""")).Ok();

        Assert.Equal(1, (int)registered["created"]!);
        Assert.Equal("service", (string?)registered["entities"]![0]!["type"]);
        Assert.Equal("component:default/billing", (string?)visible["entity"]!["ref"]);
        Assert.Equal(1, (int)refreshed["updated"]!);
        Assert.Equal("website", (string?)refreshed["entities"]![0]!["type"]);
        Assert.True((bool)unregistered["unregisterLocation"]!);
        Assert.Null(gone["entity"]);
    }

    [Fact]
    public async Task A_dry_run_of_a_registered_target_answers_that_it_exists_with_its_location_as_the_REST_dry_run_does()
    {
        var file = Write("dry-registered.yaml", Component("dry-registered", "service"));
        using var graph = new GraphClient(portal.CreateClient());
        const string Register = "mutation($target: String!, $dryRun: Boolean) { registerLocation(type: \"file\", target: $target, dryRun: $dryRun) { location { id } entityRefs exists created } }";

        var before = (await graph.PostAsync(Register, new { target = file, dryRun = true })).Ok()["registerLocation"]!;
        var registered = (await graph.PostAsync(Register, new { target = file, dryRun = false })).Ok()["registerLocation"]!;
        var after = (await graph.PostAsync(Register, new { target = file, dryRun = true })).Ok()["registerLocation"]!;

        Assert.False((bool)before["exists"]!);
        Assert.True((bool)after["exists"]!);
        Assert.Equal((string?)registered["location"]!["id"], (string?)after["location"]!["id"]);
        Assert.Equal(["component:default/dry-registered"], after["entityRefs"]!.AsArray().Select(r => (string?)r));
        Assert.Equal(0, (int)after["created"]!);
    }

    [Fact]
    public async Task A_dry_run_reports_what_would_be_ingested_and_stores_nothing()
    {
        var file = Write("dry.yaml", Component("dry-run-only", "service"));
        using var graph = new GraphClient(portal.CreateClient());

        var result = (await graph.PostAsync("""
            mutation($target: String!) { registerLocation(type: "file", target: $target, dryRun: true) { entityRefs entities { ref } } }
            """, new { target = file })).Ok()["registerLocation"]!;
        var stored = (await graph.PostAsync("""{ entity(ref: "component:dry-run-only") { ref } locations { target } }""")).Ok();

        Assert.Equal("component:default/dry-run-only", (string?)result["entityRefs"]![0]);
        Assert.Empty(result["entities"]!.AsArray());
        Assert.Null(stored["entity"]);
        Assert.DoesNotContain(stored["locations"]!.AsArray(), l => (string?)l!["target"] == file);
    }

    [Fact]
    public async Task Registering_the_same_target_twice_is_a_CONFLICT_and_an_unknown_location_NOT_FOUND()
    {
        var file = Write("twice.yaml", Component("twice", "service"));
        using var graph = new GraphClient(portal.CreateClient());
        const string Register = "mutation($target: String!) { registerLocation(type: \"file\", target: $target) { created } }";

        (await graph.PostAsync(Register, new { target = file })).Ok();
        var second = await graph.PostAsync(Register, new { target = file });
        var unknown = await graph.PostAsync("mutation { refreshLocation(id: \"6f1c1b1e-0000-4000-8000-000000000000\") { created } }");
        var notAnId = await graph.PostAsync("mutation { unregisterLocation(id: \"42\") }");

        Assert.Contains("already registered", (string?)second.Error("CONFLICT")["message"], StringComparison.Ordinal);
        Assert.Equal("refreshLocation", (string?)unknown.Error("NOT_FOUND")["path"]![0]);
        Assert.Contains("not a location id", (string?)notAnId.Error("VALIDATION_FAILED")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_target_is_LOCATION_UNREADABLE()
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync("mutation($target: String!) { registerLocation(type: \"file\", target: $target) { created } }",
            new { target = Path.Combine(_folder, "missing.yaml") });

        response.Error("LOCATION_UNREADABLE");
    }

    [Fact]
    public async Task A_target_the_configuration_does_not_allow_is_FORBIDDEN_as_in_REST()
    {
        using var graph = new GraphClient(portal.CreateClient());

        var response = await graph.PostAsync("mutation { registerLocation(type: \"url\", target: \"ftp://files.example/catalog-info.yaml\") { created } }");

        Assert.Contains("http or https", (string?)response.Error("FORBIDDEN")["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateEntities_reports_each_problem_with_its_document_and_field_and_stores_nothing()
    {
        using var graph = new GraphClient(portal.CreateClient());
        var yaml = Component("fine", "service") + "---\n" + Component("Not Valid!", "service") + "---\n" + Component("also-fine", "service").Replace("metadata:", "metdata: {}\nmetadata:", StringComparison.Ordinal);

        var report = (await graph.PostAsync("mutation($yaml: String!) { validateEntities(content: $yaml, source: \"mine.yaml\") { valid entityRefs problems { source document field message } } }",
            new { yaml })).Ok()["validateEntities"]!;
        var stored = (await graph.PostAsync("""{ entity(ref: "component:fine") { ref } }""")).Ok();

        Assert.False((bool)report["valid"]!);
        Assert.Equal(["component:default/fine"], report["entityRefs"]!.AsArray().Select(r => (string)r!).ToList());
        var problems = report["problems"]!.AsArray();
        Assert.Contains(problems, p => (int?)p!["document"] == 2 && (string?)p["field"] == "metadata.name" && (string?)p["source"] == "mine.yaml");
        Assert.Contains(problems, p => (int?)p!["document"] == 3 && ((string?)p["field"] ?? "").Contains("metdata", StringComparison.Ordinal));
        Assert.Null(stored["entity"]);
    }

    [Fact]
    public async Task Upsert_and_delete_guard_with_the_etag_and_name_the_offending_field()
    {
        using var graph = new GraphClient(portal.CreateClient());
        const string Upsert = "mutation($entity: JSON!, $etag: String) { upsertEntity(entity: $entity, etag: $etag) { ref etag status { message } ... on Component { lifecycle owner { ref } } history { change actor } } }";
        var document = new
        {
            apiVersion = "backstage.io/v1alpha1",
            kind = "Component",
            metadata = new { name = "api-made" },
            spec = new { type = "service", lifecycle = "experimental", owner = "team-x" },
        };

        var created = (await graph.PostAsync(Upsert, new { entity = document, etag = "" })).Ok()["upsertEntity"]!;
        var stale = await graph.PostAsync(Upsert, new { entity = document, etag = "not-the-etag" });
        var invalid = await graph.PostAsync(Upsert, new { entity = new { apiVersion = "backstage.io/v1alpha1", kind = "Component", metadata = new { name = "bad name!" }, spec = new { type = "service", lifecycle = "x", owner = "y" } } });
        var staleDelete = await graph.PostAsync("mutation { deleteEntity(ref: \"component:api-made\", etag: \"nope\") }");
        var deleted = (await graph.PostAsync("mutation($etag: String) { deleteEntity(ref: \"component:api-made\", etag: $etag) }", new { etag = (string?)created["etag"] })).Ok();
        var missing = await graph.PostAsync("mutation { deleteEntity(ref: \"component:api-made\") }");
        var malformed = await graph.PostAsync("mutation { deleteEntity(ref: \"component:\") }");

        Assert.Equal("component:default/api-made", (string?)created["ref"]);
        Assert.Null(created["owner"]); // group:team-x is not in the catalog: a dangling relation, kept but unresolved
        Assert.Equal( // once
            ["Relation ownedBy points at group:default/team-x, which is not in the catalog."],
            created["status"]!.AsArray().Select(i => (string?)i!["message"]));
        Assert.Equal("created", (string?)created["history"]![0]!["change"]);
        Assert.Equal("graphql:anonymous", (string?)created["history"]![0]!["actor"]);
        Assert.Contains("has changed since it was read", (string?)stale.Error("CONFLICT")["message"], StringComparison.Ordinal);
        var problems = invalid.Error("VALIDATION_FAILED")["extensions"]!["problems"]!.AsArray();
        Assert.Contains(problems, p => (string?)p!["field"] == "metadata.name");
        staleDelete.Error("CONFLICT");
        Assert.True((bool)deleted["deleteEntity"]!);
        missing.Error("NOT_FOUND");
        malformed.Error("VALIDATION_FAILED");
    }

    [Fact]
    public async Task RefreshEntity_refreshes_the_entity_s_location_and_refuses_API_managed_ones()
    {
        var file = Write("refresh.yaml", Component("refreshed", "service"));
        using var graph = new GraphClient(portal.CreateClient());
        (await graph.PostAsync("mutation($target: String!) { registerLocation(type: \"file\", target: $target) { created } }", new { target = file })).Ok();
        File.WriteAllText(file, Component("refreshed", "library"));

        var result = (await graph.PostAsync("mutation { refreshEntity(ref: \"component:refreshed\") { updated location { target } } }")).Ok()["refreshEntity"]!;
        var unknown = await graph.PostAsync("mutation { refreshEntity(ref: \"component:never-was\") { updated } }");
        (await graph.PostAsync("mutation($entity: JSON!) { upsertEntity(entity: $entity) { ref } }", new
        {
            entity = new { apiVersion = "backstage.io/v1alpha1", kind = "Group", metadata = new { name = "api-made-refresh" }, spec = new { type = "team", children = Array.Empty<string>() } },
        })).Ok();
        var apiManaged = await graph.PostAsync("mutation { refreshEntity(ref: \"group:api-made-refresh\") { updated } }");

        Assert.Equal(1, (int)result["updated"]!);
        Assert.Equal(file, (string?)result["location"]!["target"]);
        unknown.Error("NOT_FOUND");
        Assert.Equal("group:default/api-made-refresh is API-managed: no location to refresh it from.", (string?)apiManaged.Error("VALIDATION_FAILED")["message"]);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Status_warns_of_each_relation_whose_target_is_missing_as_the_REST_API_does_until_the_target_arrives()
    {
        var file = Write("lonely.yaml", Component("lonely", "service").TrimEnd() + "\n  dependsOn: [component:ghost-of-lonely]\n");
        using var http = portal.CreateClient();
        using var graph = new GraphClient(portal.CreateClient());
        const string Register = "mutation($target: String!) { registerLocation(type: \"file\", target: $target) { created } }";
        const string Status = """
            { entity(ref: "component:lonely") { status { type level message } }
              entitiesByRefs(refs: ["component:lonely"]) { ref status { message } } }
            """;
        (await graph.PostAsync(Register, new { target = file })).Ok();

        var before = (await graph.PostAsync(Status)).Ok();
        using var rest = JsonDocument.Parse(await http.GetStringAsync("/api/catalog/entities/by-name/component/default/lonely", TestContext.Current.CancellationToken));
        (await graph.PostAsync(Register, new { target = Write("ghost.yaml", Component("ghost-of-lonely", "service")) })).Ok();
        var after = (await graph.PostAsync(Status)).Ok();

        // Reached a second time in one execution, first without its status and then with it (and whole), it shows the same.
        var nested = (await graph.PostAsync("""
            { lonely: entity(ref: "component:lonely") { name }
              ghost: entity(ref: "component:ghost-of-lonely") { ... on Component { dependencyOf { ref status { message } descriptor } } } }
            """)).Ok();

        var items = before["entity"]!["status"]!.AsArray();
        Assert.Equal(
            rest.RootElement.GetProperty("status").GetProperty("items").EnumerateArray().Select(i => $"{i.GetProperty("type")} {i.GetProperty("level")} {i.GetProperty("message")}"),
            items.Select(i => $"{i!["type"]} {i["level"]} {i["message"]}"));
        Assert.Collection(items,
            dependsOn => Assert.Equal("Relation dependsOn points at component:default/ghost-of-lonely, which is not in the catalog.", (string?)dependsOn!["message"]),
            ownedBy => Assert.Equal("Relation ownedBy points at group:default/team-a, which is not in the catalog.", (string?)ownedBy!["message"]));
        Assert.All(items, i => Assert.Equal("warning", (string?)i!["level"]));
        Assert.Equal(2, before["entitiesByRefs"]![0]!["status"]!.AsArray().Count);
        Assert.Equal(
            ["Relation ownedBy points at group:default/team-a, which is not in the catalog."],
            after["entity"]!["status"]!.AsArray().Select(i => (string?)i!["message"]));
        var dependent = nested["ghost"]!["dependencyOf"]!.AsArray().Single()!;
        Assert.Equal("component:default/lonely", (string?)dependent["ref"]);
        Assert.Equal(
            ["Relation ownedBy points at group:default/team-a, which is not in the catalog."],
            dependent["status"]!.AsArray().Select(i => (string?)i!["message"]));
        Assert.Equal(
            ["Relation ownedBy points at group:default/team-a, which is not in the catalog."],
            dependent["descriptor"]!["status"]!["items"]!.AsArray().Select(i => (string?)i!["message"]));
    }

    [Fact]
    public async Task An_entity_read_on_a_page_with_its_status_and_again_as_an_owner_without_it_keeps_its_warnings()
    {
        var file = Write("kid.yaml", Component("kid", "service").Replace("owner: team-a", "owner: orphan-team").TrimEnd() + """

              dependsOn: [group:orphan-team]
            ---
            apiVersion: backstage.io/v1alpha1
            kind: Group
            metadata:
              name: orphan-team
            spec:
              type: team
              parent: ghost-parent
              children: []

            """);
        using var graph = new GraphClient(portal.CreateClient());
        (await graph.PostAsync("mutation($target: String!) { registerLocation(type: \"file\", target: $target) { created } }", new { target = file })).Ok();

        // The group comes on the page with its warnings, then among the page's owners without them (the owner field
        // asks only for a name); the dependency reads it from the loader, which must still hold the warnings.
        var nodes = (await graph.PostAsync("""
            { entities(
                filter: [{ kind: ["group"], fields: [{ path: "metadata.name", values: ["orphan-team"] }] },
                         { kind: ["component"], fields: [{ path: "metadata.name", values: ["kid"] }] }],
                orderBy: [{ field: "metadata.name" }]) {
                nodes { ref status { message } ... on Component { owner { name } dependsOn { ref status { message } } } } } }
            """)).Ok()["entities"]!["nodes"]!.AsArray();

        const string Warning = "Relation childOf points at group:default/ghost-parent, which is not in the catalog.";
        Assert.Equal(["component:default/kid", "group:default/orphan-team"], nodes.Select(n => (string?)n!["ref"]));
        Assert.Empty(nodes[0]!["status"]!.AsArray());
        Assert.Equal("orphan-team", (string?)nodes[0]!["owner"]!["name"]);
        Assert.Equal([Warning], nodes[1]!["status"]!.AsArray().Select(i => (string?)i!["message"]));
        var dependency = nodes[0]!["dependsOn"]!.AsArray().Single()!;
        Assert.Equal("group:default/orphan-team", (string?)dependency["ref"]);
        Assert.Equal([Warning], dependency["status"]!.AsArray().Select(i => (string?)i!["message"]));
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Component(string name, string type) => $"""
        apiVersion: backstage.io/v1alpha1
        kind: Component
        metadata:
          name: {name}
        spec:
          type: {type}
          lifecycle: production
          owner: team-a

        """;
}
