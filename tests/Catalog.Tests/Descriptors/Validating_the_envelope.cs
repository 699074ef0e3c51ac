using Portal.Catalog.Model;

namespace Portal.Catalog.Tests.Descriptors;

public sealed class Validating_the_envelope
{
    [Fact]
    public void Fills_in_the_default_namespace_in_the_document()
    {
        var entity = Descriptor.Accept(Descriptor.Component());

        Assert.Equal("default", (string?)entity.Document["metadata"]!["namespace"]);
        Assert.Equal(("component:default/payments-api", "Component"), (entity.Ref.Canonical, entity.Kind));
    }

    [Fact]
    public void Keeps_the_namespace_as_written_but_lower_cases_the_ref()
    {
        var entity = Descriptor.Accept(Descriptor.Component("Payments-API", metadata: "namespace: Finance"));

        Assert.Equal("Finance", (string?)entity.Document["metadata"]!["namespace"]);
        Assert.Equal("component:finance/payments-api", entity.Ref.Canonical);
        Assert.Contains(entity.Relations, r => r.Type == "ownedBy" && r.Target.Canonical == "group:finance/payments-team");
    }

    [Theory]
    [InlineData("description: \"pay\\0ments\"", "metadata.description")]
    [InlineData("annotations:\n  example.com/x: \"a\\0\"", "metadata.annotations.example.com/x")]
    [InlineData("links:\n  - url: https://example.com\n    title: \"a\\0\"", "metadata.links[0].title")]
    [InlineData("annotations:\n  \"example.com/\\0\": x", "metadata.annotations.example.com/\\u0000")]
    public void Text_the_database_cannot_store_is_an_error_naming_the_field(string metadata, string field)
    {
        var batch = Descriptor.Read(Descriptor.Component(metadata: metadata));

        Assert.Empty(batch.Entities);
        var problem = Assert.Single(batch.Problems, p => p.Message.Contains("cannot store", StringComparison.Ordinal));
        Assert.Equal(field, problem.Field);
        Assert.Contains("\\u0000", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\0', problem.Message);
    }

    [Fact]
    public void Reports_every_envelope_error_of_a_document()
    {
        var batch = Descriptor.Read("""
            apiVersion: not a version
            kind: 9lives
            metadata:
              name: ok
              namespace: under_score
            extra: true
            """);

        Assert.Equal(["extra", "apiVersion", "kind", "metadata.namespace"], batch.Problems.Select(p => p.Field));
        Assert.All(batch.Problems, p => Assert.Equal((ProblemLevel.Error, 1), (p.Level, p.Document)));
    }

    [Theory]
    [InlineData("metadata: {name: x}\nkind: Component", "apiVersion", "is required")]
    [InlineData("apiVersion: v1\nmetadata: {name: x}", "kind", "is required")]
    [InlineData("apiVersion: v1\nkind: Thing", "metadata", "is required")]
    [InlineData("apiVersion: v1\nkind: Thing\nmetadata: [x]", "metadata", "must be an object, found an array")]
    [InlineData("apiVersion: v1\nkind: Thing\nmetadata: {title: x}", "metadata.name", "is required")]
    [InlineData("apiVersion: v1\nkind: Thing\nmetadata: {name: 12}", "metadata.name", "must be a string, found a number")]
    [InlineData("apiVersion: v1\nkind: Thing\nmetadata: {name: x}\nspec: [1]", "spec", "must be an object, found an array")]
    [InlineData("apiVersion: Backstage.io/v1\nkind: Thing\nmetadata: {name: x}", "apiVersion", "\"Backstage.io/v1\" is not a valid apiVersion")]
    [InlineData("apiVersion: a/b/c\nkind: Thing\nmetadata: {name: x}", "apiVersion", "\"a/b/c\" is not a valid apiVersion")]
    [InlineData("apiVersion: v1\nkind: My-Kind\nmetadata: {name: x}", "kind", "\"My-Kind\" is not a valid kind")]
    public void Rejects_a_malformed_envelope_naming_the_field(string yaml, string field, string message)
    {
        var problem = Descriptor.Reject(yaml);

        Assert.Equal(field, problem.Field);
        Assert.StartsWith(message, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("A.b_c-9")]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789xyz")]
    public void Accepts_valid_names(string name)
    {
        Descriptor.Accept(Descriptor.Component(name));
    }

    [Theory]
    [InlineData("'-leading'")]
    [InlineData("trailing.")]
    [InlineData("'my service'")]
    [InlineData("'a/b'")]
    [InlineData("\"name\\n\"")]
    [InlineData("''")]
    [InlineData("x123456789x123456789x123456789x123456789x123456789x123456789xyz0")]
    public void Rejects_invalid_names(string name)
    {
        var problem = Descriptor.Reject(Descriptor.Component(name));

        Assert.Equal("metadata.name", problem.Field);
    }

    [Fact]
    public void Names_file_document_and_field_in_the_message()
    {
        var yaml = Descriptor.Component("ok") + "\n---\n" + Descriptor.Component("'my service'");

        var problem = Descriptor.Pipeline().ReadFile("components.yaml", yaml).Problems.Single();

        Assert.Equal(
            "components.yaml document 2, metadata.name: \"my service\" is not a valid name: 1-63 characters of [a-zA-Z0-9], '-', '_', '.', starting and ending with a letter or digit",
            problem.ToString());
    }

    [Theory]
    [InlineData("labels: {team: payments, example.com/tier: '', a.b/c_d: x.y}")]
    [InlineData("annotations: {backstage.io/techdocs-ref: 'dir:.', github.com/project-slug: acme/payments, note: 'any text: at all'}")]
    [InlineData("tags: [java, c++, c#, dotnet:8, a-b]")]
    [InlineData("title: Payments\ndescription: ''")]
    [InlineData("links: [{url: 'https://example.com/x?y=1', title: Docs, icon: dashboard, type: docs}, {url: 'mailto:team@example.com'}, {url: 'http://localhost:8080'}]")]
    public void Accepts_valid_metadata(string metadata)
    {
        Descriptor.Accept(Descriptor.Component(metadata: metadata));
    }

    [Theory]
    [InlineData("labels: {'bad key': x}", "metadata.labels.bad key")]
    [InlineData("labels: {Example.com/x: y}", "metadata.labels.Example.com/x")]
    [InlineData("labels: {team: 'has space'}", "metadata.labels.team")]
    [InlineData("labels: {count: 3}", "metadata.labels.count")]
    [InlineData("annotations: {a/b/c: x}", "metadata.annotations.a/b/c")]
    [InlineData("annotations: {ok: [1]}", "metadata.annotations.ok")]
    [InlineData("annotations: [x]", "metadata.annotations")]
    [InlineData("tags: [Java]", "metadata.tags[0]")]
    [InlineData("tags: [ok, a--b]", "metadata.tags[1]")]
    [InlineData("tags: [ok, 'x y']", "metadata.tags[1]")]
    [InlineData("tags: [1.5]", "metadata.tags[0]")]
    [InlineData("tags: java", "metadata.tags")]
    [InlineData("title: 12", "metadata.title")]
    [InlineData("description:", "metadata.description")]
    [InlineData("namespace: '-x'", "metadata.namespace")]
    [InlineData("links: [{title: no url}]", "metadata.links[0].url")]
    [InlineData("links: [{url: 'https://ok'}, {url: 'javascript:alert(1)'}]", "metadata.links[1].url")]
    [InlineData("links: [{url: 'data:text/html,<script>x</script>'}]", "metadata.links[0].url")]
    [InlineData("links: [{url: 'file:///etc/passwd'}]", "metadata.links[0].url")]
    [InlineData("links: [{url: '/relative/path'}]", "metadata.links[0].url")]
    [InlineData("links: [{url: 'ftp://example.com'}]", "metadata.links[0].url")]
    [InlineData("links: [{url: 'https://ok', icon: 'not an icon'}]", "metadata.links[0].icon")]
    [InlineData("links: ['https://ok']", "metadata.links[0]")]
    public void Rejects_invalid_metadata_naming_the_field(string metadata, string field)
    {
        var problem = Descriptor.Reject(Descriptor.Component(metadata: metadata));

        Assert.Equal(field, problem.Field);
    }

    [Fact]
    public void Escapes_control_characters_in_messages_and_field_paths()
    {
        var yaml = Descriptor.Component("\"evil\\nlog line\"", metadata: "labels: {\"bad\\nkey\": x}") + "\n\"x\\ny\": 1";

        var problems = Descriptor.Read(yaml).Problems;

        Assert.Equal(["x\\ny", "metadata.name", "metadata.labels.bad\\nkey"], problems.Select(p => p.Field));
        Assert.StartsWith("\"evil\\nlog line\" is not a valid name", problems[1].Message, StringComparison.Ordinal);
        Assert.All(problems, p => Assert.DoesNotContain('\n', p.ToString()));
    }

    [Fact]
    public void Shortens_long_values_in_messages()
    {
        var problem = Descriptor.Reject(Descriptor.Component(metadata: $"namespace: {new string('a', 100)}"));

        Assert.StartsWith("\"" + new string('a', 80) + "…\" is not a valid namespace", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Drops_relations_and_status_from_input_with_a_warning()
    {
        var yaml = Descriptor.Component() + "\nrelations: [{type: ownerOf, targetRef: 'group:default/admins'}]\nstatus: {items: []}";

        var entity = Descriptor.Accept(yaml);

        Assert.Null(entity.Document["relations"]);
        Assert.Null(entity.Document["status"]);
        Assert.Equal(["relations", "status"], entity.Warnings.Select(w => w.Field));
        Assert.All(entity.Warnings, w => Assert.Equal(ProblemLevel.Warning, w.Level));
        Assert.DoesNotContain(entity.Relations, r => r.Target.Name == "admins");
    }
}
