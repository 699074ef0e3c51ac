using Portal.Catalog.Model;

namespace Portal.Catalog.Tests.Descriptors;

public sealed class Parsing_entity_refs
{
    [Theory]
    [InlineData("component:default/a", null, "default", "component:default/a")]
    [InlineData("Component:Default/A", null, "default", "component:default/a")]
    [InlineData("a", "Group", "default", "group:default/a")]
    [InlineData("a", "Group", "payments", "group:payments/a")]
    [InlineData("ns/a", "Group", "default", "group:ns/a")]
    [InlineData("user:a", "Group", "ns", "user:ns/a")]
    [InlineData("ns/a:b", "Group", "default", "group:ns/a:b")]
    [InlineData("a:b:c", null, "default", "a:default/b:c")]
    [InlineData("a", "Group", "", "group:default/a")]
    public void Fills_in_the_default_kind_and_namespace(string text, string? defaultKind, string defaultNamespace, string canonical)
    {
        var parsed = EntityRef.TryParse(text, defaultKind, defaultNamespace, out var result, out var error);

        Assert.True(parsed, error);
        Assert.Equal(canonical, result.Canonical);
    }

    [Theory]
    [InlineData("", "Group", "an entity reference must not be empty")]
    [InlineData(null, "Group", "an entity reference must not be empty")]
    [InlineData(":a", "Group", "\":a\" is not an entity reference")]
    [InlineData("k:/a", "Group", "\"k:/a\" is not an entity reference")]
    [InlineData("k:ns/", "Group", "\"k:ns/\" is not an entity reference")]
    [InlineData("a", null, "\"a\" has no kind")]
    [InlineData("ns/a", null, "\"ns/a\" has no kind")]
    public void Explains_what_is_wrong(string? text, string? defaultKind, string message)
    {
        var parsed = EntityRef.TryParse(text, defaultKind, "default", out _, out var error);

        Assert.False(parsed);
        Assert.StartsWith(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Throws_a_format_exception_from_parse()
    {
        var exception = Assert.Throws<FormatException>(() => EntityRef.Parse("no-kind"));

        Assert.StartsWith("\"no-kind\" has no kind", exception.Message, StringComparison.Ordinal);
    }
}
