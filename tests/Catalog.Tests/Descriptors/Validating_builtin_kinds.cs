using Portal.Catalog.Ingestion.Descriptors;
using Portal.Catalog.Model;

namespace Portal.Catalog.Tests.Descriptors;

public sealed class Validating_builtin_kinds
{
    private const string V1 = "backstage.io/v1alpha1";

    [Theory]
    [InlineData("Component", V1, "{type: service, lifecycle: production, owner: a, system: s, subcomponentOf: c, providesApis: [x], consumesApis: [y], dependsOn: ['resource:db'], dependencyOf: ['component:z']}")]
    [InlineData("API", "backstage.io/v1beta1", "{type: openapi, lifecycle: production, owner: a, definition: 'openapi: 3.0.0', system: s}")]
    [InlineData("Resource", V1, "{type: database, owner: a, system: s, dependsOn: ['component:c'], dependencyOf: []}")]
    [InlineData("System", V1, "{owner: a, domain: d, type: product}")]
    [InlineData("Domain", V1, "{owner: a, subdomainOf: d}")]
    [InlineData("Group", V1, "{type: team, children: [], parent: root, members: [bob], profile: {displayName: Team}}")]
    [InlineData("User", V1, "{memberOf: [], profile: {email: a@b.c}}")]
    [InlineData("Location", V1, "{}")]
    [InlineData("Location", V1, "{type: url, target: 'https://x/catalog-info.yaml', presence: optional}")]
    [InlineData("Template", "scaffolder.backstage.io/v1beta3", "{type: service, owner: a, parameters: [{title: Basics}], steps: [{id: fetch, action: 'fetch:template'}], output: {links: []}}")]
    [InlineData("component", V1, "{type: service, lifecycle: production, owner: a}")]
    public void Accepts_each_builtin_kind(string kind, string apiVersion, string spec)
    {
        var entity = Descriptor.Accept($"apiVersion: {apiVersion}\nkind: {kind}\nmetadata: {{name: x}}\nspec: {spec}");

        Assert.Equal(kind, entity.Kind);
    }

    [Theory]
    [InlineData("Component", "{lifecycle: production, owner: a}", "spec.type")]
    [InlineData("Component", "{type: service, owner: a}", "spec.lifecycle")]
    [InlineData("Component", "{type: service, lifecycle: production}", "spec.owner")]
    [InlineData("Component", "{type: '', lifecycle: production, owner: a}", "spec.type")]
    [InlineData("API", "{type: grpc, lifecycle: production, owner: a}", "spec.definition")]
    [InlineData("API", "{type: grpc, lifecycle: production, owner: a, definition: {$text: ./api.yaml}}", "spec.definition")]
    [InlineData("Resource", "{owner: a}", "spec.type")]
    [InlineData("System", "{domain: d}", "spec.owner")]
    [InlineData("Domain", "{type: x}", "spec.owner")]
    [InlineData("Group", "{children: []}", "spec.type")]
    [InlineData("Group", "{type: team}", "spec.children")]
    [InlineData("Group", "{type: team, children: [], profile: x}", "spec.profile")]
    [InlineData("User", "{}", "spec.memberOf")]
    [InlineData("User", "{memberOf: team}", "spec.memberOf")]
    [InlineData("User", "{memberOf: [7]}", "spec.memberOf[0]")]
    [InlineData("Location", "{targets: ./a.yaml}", "spec.targets")]
    [InlineData("Location", "{presence: maybe}", "spec.presence")]
    public void Rejects_a_missing_or_mistyped_spec_field_naming_it(string kind, string spec, string field)
    {
        var problem = Descriptor.Reject($"apiVersion: {V1}\nkind: {kind}\nmetadata: {{name: x}}\nspec: {spec}");

        Assert.Equal(field, problem.Field);
    }

    [Theory]
    [InlineData("{owner: a, steps: []}", "spec.type")]
    [InlineData("{type: service}", "spec.steps")]
    [InlineData("{type: service, steps: [{id: x}]}", "spec.steps[0].action")]
    [InlineData("{type: service, steps: [], parameters: 3}", "spec.parameters")]
    public void Rejects_an_incomplete_template(string spec, string field)
    {
        var problem = Descriptor.Reject($"apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {{name: x}}\nspec: {spec}");

        Assert.Equal(field, problem.Field);
    }

    [Fact]
    public void Rejects_a_builtin_kind_without_a_spec()
    {
        var problem = Descriptor.Reject($"apiVersion: {V1}\nkind: System\nmetadata: {{name: x}}");

        Assert.Equal(("spec", "is required for kind System"), (problem.Field, problem.Message));
    }

    [Theory]
    [InlineData("Component", "example.com/v1")]
    [InlineData("Template", V1)]
    [InlineData("Group", "scaffolder.backstage.io/v1beta3")]
    public void Rejects_a_builtin_kind_under_a_foreign_api_version(string kind, string apiVersion)
    {
        var problem = Descriptor.Reject($"apiVersion: {apiVersion}\nkind: {kind}\nmetadata: {{name: x}}\nspec: {{}}");

        Assert.Equal("apiVersion", problem.Field);
        Assert.Contains($"is not an apiVersion of kind {kind}", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_other_kinds_as_generic_entities_without_relations()
    {
        var entity = Descriptor.Accept("apiVersion: example.com/v2\nkind: Database\nmetadata: {name: x}\nspec: {owner: team, type: postgres}");

        Assert.Equal(("database:default/x", "postgres", null), (entity.Ref.Canonical, entity.Type, entity.Owner));
        Assert.Empty(entity.Relations);
    }

    [Fact]
    public void Sorts_the_relation_lists_of_every_kind_as_Backstage_does_and_nothing_else()
    {
        // What stock Backstage answered for these lists: sorted by UTF-16 code unit (capitals first, "10" before "9"),
        // duplicates and spellings kept; tags, other lists and a list holding an object stay as written.
        var component = Descriptor.Accept(Descriptor.Component(metadata: "tags: [zeta, alpha, alpha]", spec: """
            providesApis: [api:default/shipping-api, api:default/media-api, API:default/Zulu-api, media-api]
            consumesApis: [yankee, Xray, alpha, alpha]
            customList: [zz, aa]
            """));
        var database = Descriptor.Accept("apiVersion: example.com/v2\nkind: Database\nmetadata: {name: x}\nspec: {dependencyOf: ['10', '9', '2', é-api, f-api, E-api, _x, ~y], dependsOn: [zz, {name: obj}, aa]}");

        string Json(ProcessedEntity entity, string path) => entity.Document["spec"]![path]?.ToJsonString() ?? entity.Document["metadata"]![path]!.ToJsonString();
        Assert.Equal("""["API:default/Zulu-api","api:default/media-api","api:default/shipping-api","media-api"]""", Json(component, "providesApis"));
        Assert.Equal("""["Xray","alpha","alpha","yankee"]""", Json(component, "consumesApis"));
        Assert.Equal("""["zz",{"name":"obj"},"aa"]""", Json(database, "dependsOn"));
        Assert.Equal("""["zz","aa"]""", Json(component, "customList"));
        Assert.Equal("""["zeta","alpha","alpha"]""", Json(component, "tags"));
        Assert.Equal("""["10","2","9","E-api","_x","f-api","~y","\u00E9-api"]""", Json(database, "dependencyOf"));
    }

    [Fact]
    public void Exposes_type_lifecycle_owner_and_system()
    {
        var entity = Descriptor.Accept(Descriptor.Component(metadata: "namespace: shop", spec: "system: payments"));

        Assert.Equal(("service", "production"), (entity.Type, entity.Lifecycle));
        Assert.Equal("group:shop/payments-team", entity.Owner?.Canonical);
        Assert.Equal("system:shop/payments", entity.System?.Canonical);
    }

    [Fact]
    public void Emits_the_forward_and_the_reverse_edge_for_each_reference()
    {
        var entity = Descriptor.Accept(Descriptor.Component(spec: "dependsOn: ['resource:db', 'resource:db']"));

        Assert.Equal(
            [
                "component:default/payments-api ownedBy group:default/payments-team",
                "group:default/payments-team ownerOf component:default/payments-api",
                "component:default/payments-api dependsOn resource:default/db",
                "resource:default/db dependencyOf component:default/payments-api",
            ],
            entity.Relations.Select(r => $"{r.Source} {r.Type} {r.Target}"));
    }

    [Theory]
    [InlineData("owner: user:bob", "ownedBy user:default/bob")]
    [InlineData("owner: other/team", "ownedBy group:other/team")]
    [InlineData("owner: {name: team}", "ownedBy group:default/team")]
    [InlineData("owner: {kind: User, namespace: people, name: Bob}", "ownedBy user:people/bob")]
    [InlineData("dependsOn: [{kind: Resource, name: db}]", "dependsOn resource:default/db")]
    [InlineData("subcomponentOf: parent", "partOf component:default/parent")]
    [InlineData("providesApis: [v1]", "providesApi api:default/v1")]
    [InlineData("consumesApis: ['api:ext/v2']", "consumesApi api:ext/v2")]
    [InlineData("dependencyOf: ['component:web']", "dependencyOf component:default/web")]
    public void Resolves_references_with_the_field_default_kind_and_the_entity_namespace(string specLine, string relation)
    {
        var yaml = $"apiVersion: {V1}\nkind: Component\nmetadata: {{name: x}}\nspec:\n  type: service\n  lifecycle: production\n  owner: payments-team\n  {specLine}";
        if (specLine.StartsWith("owner:", StringComparison.Ordinal))
        {
            yaml = yaml.Replace("  owner: payments-team\n", "", StringComparison.Ordinal);
        }

        var entity = Descriptor.Accept(yaml);

        Assert.Contains(relation, entity.Relations.Where(r => r.Source.Name == "x").Select(r => $"{r.Type} {r.Target}"));
    }

    [Theory]
    [InlineData("dependsOn: [db]", "spec.dependsOn[0]", "\"db\" has no kind: spec.dependsOn entries must name theirs, e.g. \"resource:db\" or \"component:db\"")]
    [InlineData("dependencyOf: ['component:ok', web]", "spec.dependencyOf[1]", "\"web\" has no kind")]
    [InlineData("dependsOn: [{name: db}]", "spec.dependsOn[0].kind", "is required")]
    [InlineData("system: 'system:'", "spec.system", "\"system:\" is not an entity reference")]
    [InlineData("system: 42", "spec.system", "must be an entity reference")]
    [InlineData("providesApis: v1", "spec.providesApis", "must be an array")]
    [InlineData("consumesApis: [{kind: API}]", "spec.consumesApis[0].name", "is required")]
    [InlineData("consumesApis: [{name: ''}]", "spec.consumesApis[0].name", "must be a non-empty string")]
    public void Rejects_a_bad_reference_naming_the_entry(string specLine, string field, string message)
    {
        var problem = Descriptor.Reject(Descriptor.Component(spec: specLine));

        Assert.Equal(field, problem.Field);
        Assert.StartsWith(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Derives_group_and_user_relations_in_both_directions()
    {
        var batch = Descriptor.Read($"""
            apiVersion: {V1}
            kind: Group
            metadata: {"{"}name: team, namespace: org{"}"}
            spec: {"{"}type: team, parent: root, children: [sub], members: [ann]{"}"}
            ---
            apiVersion: {V1}
            kind: User
            metadata: {"{"}name: bob{"}"}
            spec: {"{"}memberOf: [org/team]{"}"}
            """);

        Assert.Empty(batch.Problems);
        Assert.Equal(
            [
                "group:org/team childOf group:org/root", "group:org/root parentOf group:org/team",
                "group:org/team parentOf group:org/sub", "group:org/sub childOf group:org/team",
                "group:org/team hasMember user:org/ann", "user:org/ann memberOf group:org/team",
                "user:default/bob memberOf group:org/team", "group:org/team hasMember user:default/bob",
            ],
            batch.Entities.SelectMany(e => e.Relations).Select(r => $"{r.Source} {r.Type} {r.Target}"));
    }

    [Fact]
    public void Lists_location_target_then_targets_as_written()
    {
        var entity = Descriptor.Accept($"apiVersion: {V1}\nkind: Location\nmetadata: {{name: x}}\nspec: {{type: url, target: ../one.yaml, targets: ['https://x/two.yaml', ./three.yaml]}}");

        Assert.Equal(["../one.yaml", "https://x/two.yaml", "./three.yaml"], entity.LocationTargets);
        Assert.Equal("url", entity.LocationType);
    }

    [Fact]
    public void Gives_other_kinds_no_location_targets()
    {
        var entity = Descriptor.Accept(Descriptor.Component(spec: "targets: [./x.yaml]"));

        Assert.Empty(entity.LocationTargets);
        Assert.Null(entity.LocationType);
    }

    [Fact]
    public void Relates_a_template_to_its_owner()
    {
        var entity = Descriptor.Accept("apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: {name: t}\nspec: {type: service, owner: 'group:platform', steps: []}");

        Assert.Equal(["ownedBy", "ownerOf"], entity.Relations.Select(r => r.Type));
        Assert.Equal(EntityRef.Parse("group:default/platform"), entity.Owner);
    }
}
