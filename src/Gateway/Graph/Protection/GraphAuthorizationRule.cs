using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;
using Portal.Gateway.Authorization;

namespace Portal.Gateway.Graph.Protection;

/// <summary>
/// Asks the authorizer about every field the document selects, during validation: a denied field fails the whole
/// request before any resolver runs (and before anything reaches the database).
/// </summary>
internal sealed class GraphAuthorizationRule(IPortalAuthorizer authorizer) : ValidationRuleBase
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        new(new MatchingNodeVisitor<GraphQLField>((field, validation) =>
        {
            if (Resource(validation.Schema, validation.TypeInfo.GetParentType(), validation.TypeInfo.GetFieldDef(), field) is { } resource)
            {
                Check(validation, resource, field);
            }
        }));

    /// <summary>What the authorizer is asked about for a field of a parent type; null for a field the schema lacks.</summary>
    public static AccessResource? Resource(ISchema schema, IGraphType? parent, FieldType? definition, GraphQLField field) =>
        parent is null || definition is null
            ? null // unknown fields are reported by the core rules
            : new AccessResource($"{parent.Name}.{field.Name.StringValue}", IsWrite: parent == schema.Mutation);

    /// <summary>Asks about one field; a prepared operation calls this with the resources it found once.</summary>
    public void Check(ValidationContext validation, AccessResource resource, GraphQLField field)
    {
        if (authorizer.Deny(new AccessRequest(validation.User, resource.Name, resource.IsWrite)) is { } reason)
        {
            validation.ReportError(new LimitError(validation, GraphErrorCodes.Forbidden, reason, field));
        }
    }
}

/// <summary>A GraphQL field as the authorizer sees it: <c>Type.field</c>, and whether it changes the catalog.</summary>
internal sealed record AccessResource(string Name, bool IsWrite);
