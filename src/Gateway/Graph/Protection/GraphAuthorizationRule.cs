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
            Check(validation, validation.TypeInfo.GetParentType(), validation.TypeInfo.GetFieldDef(), field)));

    /// <summary>Asks about one field; a prepared operation calls this with the fields it found once.</summary>
    public void Check(ValidationContext validation, IGraphType? parent, FieldType? definition, GraphQLField field)
    {
        if (parent is null || definition is null)
        {
            return; // unknown fields are reported by the core rules
        }

        var isWrite = parent == validation.Schema.Mutation;
        var resource = $"{parent.Name}.{field.Name.StringValue}";
        if (authorizer.Deny(new AccessRequest(validation.User, resource, isWrite)) is { } reason)
        {
            validation.ReportError(new LimitError(validation, GraphErrorCodes.Forbidden, reason, field));
        }
    }
}
