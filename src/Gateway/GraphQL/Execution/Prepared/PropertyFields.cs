using GraphQL.Builders;
using GraphQL.Execution;
using GraphQL.Resolvers;
using GraphQL.Types;

namespace Portal.Gateway.GraphQL.Execution.Prepared;

/// <summary>
/// Fields whose value is a property of the object they are on (an entity's ref, name, type): reading one cannot wait,
/// fail or do anything else. GraphQL.NET still resolves each through the general machinery (a resolver context, an
/// asynchronous resolve, then completion and checks), which is most of what a page's two hundred small values cost;
/// <see cref="PreparedQueryExecutionStrategy"/> reads these values as it creates their nodes instead.
/// </summary>
internal static class PropertyFields
{
    private const string Key = "portal.property";

    /// <summary>Resolves the field to a property of its source (or any other pure function of it alone).</summary>
    public static FieldBuilder<TSource, TReturn> ResolveProperty<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, Func<TSource, TReturn?> read)
    {
        field.Resolve(context => read(context.Source));
        var resolver = field.FieldType.Resolver!;
        field.FieldType.Metadata[Key] = new PropertyRead(resolver, source => source is TSource typed ? (true, read(typed)) : (false, null));
        return field;
    }

    /// <summary>
    /// The node of a scalar property field with its value already serialized, or null where the field must go through
    /// GraphQL.NET's own resolution: a field that is not a property (or whose resolver something has wrapped since, a
    /// field middleware), a source of another type, or a value that would be an error (null where the type says non-null,
    /// or one the scalar cannot serialize); the general path then reports it as it always does.
    /// </summary>
    public static ExecutionNode? ResolvedNode(ExecutionNode parent, CollectedField field)
    {
        if (field.Definition.Metadata.TryGetValue(Key, out var metadata) is false || metadata is not PropertyRead property
            || !ReferenceEquals(field.Definition.Resolver, property.Resolver) || parent.Result is not { } source)
        {
            return null;
        }

        var type = field.Definition.ResolvedType;
        var nonNull = type is NonNullGraphType;
        if ((nonNull ? ((NonNullGraphType)type!).ResolvedType : type) is not ScalarGraphType scalar)
        {
            return null;
        }

        object? serialized;
        try
        {
            var (read, value) = property.Read(source);
            if (!read)
            {
                return null;
            }

            serialized = value is null ? null : scalar.Serialize(value);
        }
#pragma warning disable CA1031 // Not swallowed: the general path resolves the field again and reports the error on the field.
        catch (Exception)
#pragma warning restore CA1031
        {
            return null;
        }

        return serialized is null && nonNull ? null : new ResolvedValueNode(parent, scalar, field) { Result = serialized };
    }

    private sealed record PropertyRead(IFieldResolver Resolver, Func<object, (bool Read, object? Value)> Read);
}

/// <summary>A scalar field's node whose value was read when the node was made (<see cref="PropertyFields"/>).</summary>
internal sealed class ResolvedValueNode(ExecutionNode parent, ScalarGraphType type, CollectedField field)
    : ValueExecutionNode(parent, type, field.Field, field.Definition, indexInParentNode: null);
