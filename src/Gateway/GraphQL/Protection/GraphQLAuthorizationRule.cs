using GraphQL.Builders;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;
using Portal.Gateway.Hosting.Authorization;

namespace Portal.Gateway.GraphQL.Protection;

/// <summary>
/// Asks the authorizer about every operation the document performs (each root field it selects), during validation: a
/// denied operation fails the whole request before any resolver runs (and before anything reaches the database).
/// Fields below a root field are part of its answer. It runs once argument values are known, because whether some
/// mutations write depends on them (<c>registerLocation(dryRun: true)</c> stores nothing), and it asks about the same
/// operation names (<see cref="CatalogOperations"/>) as the REST API does.
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

    /// <summary>
    /// What the authorizer is asked about for a field of a parent type: the operation of a root field (a root field that
    /// names none is asked about as <c>Type.field</c>, a write when it is a mutation); null for any other field.
    /// </summary>
    public static AccessResource? Resource(ISchema schema, IGraphType? parent, FieldType? definition, GraphQLField field)
    {
        if (parent is null || definition is null)
        {
            return null; // unknown fields are reported by the core rules
        }

        if (parent != schema.Query && parent != schema.Mutation && parent != schema.Subscription)
        {
            return null;
        }

        return definition.GetMetadata<AccessResource?>(AccessKey)
            ?? new AccessResource($"{parent.Name}.{field.Name.StringValue}", IsWrite: parent == schema.Mutation);
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

    /// <summary>Names the operation a root field performs that changes nothing (a query, a subscription, a validation).</summary>
    public static FieldBuilder<TSource, TReturn> Reads<TSource, TReturn>(FieldBuilder<TSource, TReturn> field, string operation) =>
        Mark(field, new AccessResource(operation, IsWrite: false));

    /// <summary>Names the operation a mutation performs, which writes.</summary>
    public static FieldBuilder<TSource, TReturn> Writes<TSource, TReturn>(FieldBuilder<TSource, TReturn> field, string operation) =>
        Mark(field, new AccessResource(operation, IsWrite: true));

    /// <summary>Names the operation a mutation performs, which writes unless its <c>dryRun</c> argument is true.</summary>
    public static FieldBuilder<TSource, TReturn> WritesUnlessDryRun<TSource, TReturn>(FieldBuilder<TSource, TReturn> field, string operation) =>
        Mark(field, new AccessResource(operation, IsWrite: true, DryRunArgument: "dryRun"));

    private static FieldBuilder<TSource, TReturn> Mark<TSource, TReturn>(FieldBuilder<TSource, TReturn> field, AccessResource resource)
    {
        field.FieldType.Metadata[AccessKey] = resource;
        return field;
    }
}

/// <summary>
/// A root field as the authorizer sees it: the operation's name, whether it changes anything, and the argument that,
/// when true, makes it change nothing.
/// </summary>
internal sealed record AccessResource(string Name, bool IsWrite, string? DryRunArgument = null);
