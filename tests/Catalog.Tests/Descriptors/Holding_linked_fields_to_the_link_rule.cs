using Portal.Catalog.Model;

namespace Portal.Catalog.Tests.Descriptors;

/// <summary>
/// Annotations a portal renders as links, and the pictures of groups and users, follow the rule of
/// <c>metadata.links</c>: absolute http, https or mailto URLs only, so that no descriptor can store a script URL there.
/// </summary>
public sealed class Holding_linked_fields_to_the_link_rule
{
    [Theory]
    [InlineData("backstage.io/view-url", "javascript:alert(document.cookie)")]
    [InlineData("backstage.io/edit-url", "data:text/html,<script>alert(1)</script>")]
    [InlineData("backstage.io/view-url", " JavaScript:alert(1)")]
    [InlineData("acme.com/dashboard-url", "vbscript:msgbox(1)")]
    [InlineData("acme.com/url", "file:///etc/passwd")]
    [InlineData("runbook-url", "/relative/runbook")]
    public void A_linked_annotation_that_is_not_an_http_url_is_refused_naming_the_entity_field_and_rule(string key, string value)
    {
        var problem = Descriptor.Reject(Descriptor.Component(metadata: $"annotations:\n  {key}: '{value}'"));

        Assert.Equal((1, $"metadata.annotations.{key}"), (problem.Document, problem.Field));
        Assert.StartsWith("the link of component:default/payments-api, \"", problem.Message, StringComparison.Ordinal);
        Assert.EndsWith("\", is not an absolute http, https or mailto URL", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("url:javascript:alert(1)")]
    [InlineData("url:data:text/html,x")]
    [InlineData("url:/relative")]
    public void A_source_location_in_url_form_must_hold_an_http_url(string value)
    {
        var problem = Descriptor.Reject(Descriptor.Component(metadata: $"annotations:\n  backstage.io/source-location: '{value}'"));

        Assert.Equal("metadata.annotations.backstage.io/source-location", problem.Field);
        Assert.Equal(
            $"the source location of component:default/payments-api, \"{value}\", is not url: followed by an absolute http, https or mailto URL",
            problem.Message);
    }

    [Theory]
    [InlineData("backstage.io/managed-by-location", "url:javascript:alert(1)", "the managing location")]
    [InlineData("backstage.io/managed-by-origin-location", "url:data:text/html,x", "the origin location")]
    [InlineData("backstage.io/techdocs-ref", "url:javascript:alert(1)", "the TechDocs location")]
    [InlineData("backstage.io/techdocs-ref", "url:file:///etc/passwd", "the TechDocs location")]
    public void The_other_location_annotations_in_url_form_must_hold_an_http_url(string key, string value, string what)
    {
        var problem = Descriptor.Reject(Descriptor.Component(metadata: $"annotations:\n  {key}: '{value}'"));

        Assert.Equal($"metadata.annotations.{key}", problem.Field);
        Assert.Equal(
            $"{what} of component:default/payments-api, \"{value}\", is not url: followed by an absolute http, https or mailto URL",
            problem.Message);
    }

    [Theory]
    [InlineData("backstage.io/managed-by-origin-location: 'url:https://github.com/acme/catalog/blob/main/all.yaml'")]
    [InlineData("backstage.io/techdocs-ref: 'url:https://github.com/acme/payments/tree/main/'")]
    [InlineData("backstage.io/view-url: 'https://github.com/acme/payments/tree/main/'")]
    [InlineData("backstage.io/edit-url: 'https://github.com/acme/payments/edit/main/catalog-info.yaml'")]
    [InlineData("backstage.io/source-location: 'url:https://github.com/acme/payments/tree/main/'")]
    [InlineData("backstage.io/source-location: 'file:/srv/catalog/payments/'")]
    [InlineData("backstage.io/managed-by-location: 'url:https://github.com/acme/payments/blob/main/catalog-info.yaml'")]
    [InlineData("acme.com/support-url: 'mailto:payments@acme.example'")]
    [InlineData("acme.com/runbook-url: ''")]
    [InlineData("backstage.io/techdocs-ref: 'dir:.'")]
    [InlineData("acme.com/curl: 'javascript: not a link, the key does not end in -url'")]
    public void Http_urls_and_annotations_that_are_not_links_are_kept(string annotation)
    {
        Descriptor.Accept(Descriptor.Component(metadata: $"annotations:\n  {annotation}"));
    }

    [Theory]
    [InlineData("User", "{memberOf: [], profile: {picture: 'javascript:alert(1)'}}", "user")]
    [InlineData("User", "{memberOf: [], profile: {picture: 'data:image/svg+xml,<svg onload=alert(1)>'}}", "user")]
    [InlineData("Group", "{type: team, children: [], profile: {picture: 'vbscript:x'}}", "group")]
    public void A_picture_that_is_not_an_http_url_is_refused(string kind, string spec, string lowerKind)
    {
        var yaml = $"apiVersion: backstage.io/v1alpha1\nkind: {kind}\nmetadata: {{name: ada}}\nspec: {spec}\n";

        var problem = Descriptor.Reject(yaml);

        Assert.Equal((1, "spec.profile.picture"), (problem.Document, problem.Field));
        Assert.StartsWith($"the picture of {lowerKind}:default/ada, \"", problem.Message, StringComparison.Ordinal);
        Assert.EndsWith("is not an absolute http, https or mailto URL", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_picture_at_an_https_url_is_kept()
    {
        var entity = Descriptor.Accept("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: ada}\nspec: {memberOf: [], profile: {picture: 'https://avatars.example.com/ada.png'}}\n");

        Assert.Equal("https://avatars.example.com/ada.png", (string?)entity.Document["spec"]!["profile"]!["picture"]);
    }

    [Fact]
    public void The_problem_reads_as_one_line_naming_file_document_field_entity_and_rule()
    {
        var problem = Descriptor.Reject(Descriptor.Component(metadata: "annotations:\n  backstage.io/view-url: 'javascript:alert(1)'"));

        Assert.Equal(ProblemLevel.Error, problem.Level);
        Assert.Equal(
            "catalog-info.yaml document 1, metadata.annotations.backstage.io/view-url: the link of component:default/payments-api, \"javascript:alert(1)\", is not an absolute http, https or mailto URL",
            problem.ToString());
    }
}
