using GraphQL.Builders;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;
using Portal.Gateway.Hosting.Authorization;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>
/// Asks the authorizer about every field the document selects, during validation: a denied field fails the whole
/// request before any resolver runs (and before anything reaches the database). It runs once argument values are
/// known, because whether some mutations write depends on them (<c>registerLocation(dryRun: true)</c> stores nothing),
/// and it judges them as the REST API judges the same operations.
/// </summary>
internal sealed class GraphQLAuthorizationRule(IPortalAuthorizer authorizer) : ValidationRuleBase
{
    private const string AccessKey = "portal.access";

    public override ValueTask<INodeVisitor?> GetPostNodeVisitorAsync(ValidationContext context) =>
        new(new MatchingNodeVisitor<GraphQLField>((field, validation) =>
        {
            if (Resource(validation.Schema, validation.TypeInfo.GetParentType(), validation.TypeInfo.GetFieldDef(), field) is { } resource)
            {
                Check(validation, resource, field);
            }
        }));

    /// <summary>What the authorizer is asked about for a field of a parent type; null for a field the schema lacks.</summary>
    public static AccessResource? Resource(ISchema schema, IGraphType? parent, FieldType? definition, GraphQLField field)
    {
        if (parent is null || definition is null)
        {
            return null; // unknown fields are reported by the core rules
        }

        var access = definition.GetMetadata<Access?>(AccessKey);
        return new AccessResource(
            $"{parent.Name}.{field.Name.StringValue}",
            IsWrite: parent == schema.Mutation && access is not Access.ChangesNothing,
            DryRunArgument: access is Access.WritesUnlessDryRun ? "dryRun" : null);
    }

    /// <summary>Asks about one field; a prepared operation calls this with the resources it found once.</summary>
    public void Check(ValidationContext validation, AccessResource resource, GraphQLField field)
    {
        var isWrite = resource.IsWrite && !(resource.DryRunArgument is { } dryRun
            && validation.ArgumentValues?.GetValueOrDefault(field)?.TryGetValue(dryRun, out var value) == true
            && value.Value is true);
        if (authorizer.Deny(new AccessRequest(validation.User, resource.Name, isWrite)) is { } reason)
        {
            validation.ReportError(new LimitError(validation, GraphQLErrorCodes.Forbidden, reason, field));
        }
    }

    /// <summary>Marks a mutation that stores nothing (validation): a read-only server allows it.</summary>
    public static FieldBuilder<TSource, TReturn> ChangesNothing<TSource, TReturn>(FieldBuilder<TSource, TReturn> field)
    {
        field.FieldType.Metadata[AccessKey] = Access.ChangesNothing;
        return field;
    }

    /// <summary>Marks a mutation that stores nothing when its <c>dryRun</c> argument is true.</summary>
    public static FieldBuilder<TSource, TReturn> WritesUnlessDryRun<TSource, TReturn>(FieldBuilder<TSource, TReturn> field)
    {
        field.FieldType.Metadata[AccessKey] = Access.WritesUnlessDryRun;
        return field;
    }

    private enum Access
    {
        ChangesNothing,
        WritesUnlessDryRun,
    }
}

/// <summary>
/// A GraphQL field as the authorizer sees it: <c>Type.field</c>, whether it changes the catalog, and the argument
/// that, when true, makes it change nothing.
/// </summary>
internal sealed record AccessResource(string Name, bool IsWrite, string? DryRunArgument = null);
