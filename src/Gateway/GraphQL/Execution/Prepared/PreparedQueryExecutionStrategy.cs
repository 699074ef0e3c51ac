using GraphQL.Execution;
using ExecutionContext = GraphQL.Execution.ExecutionContext;

namespace Portal.Gateway.GraphQL.Execution.Prepared;

/// <summary>
/// GraphQL.NET's serial execution (one field at a time, so the entity loader batches a whole level), which for a
/// prepared operation reuses the fields collected for each selection set and object type instead of collecting them
/// again for every object of every request: 20 entities of one type select the same fields. A field that reads a
/// property of its object gets its value as its node is made (<see cref="PropertyFields"/>).
/// </summary>
internal sealed class PreparedQueryExecutionStrategy : SerialExecutionStrategy
{
    protected override Task ExecuteNodeAsync(ExecutionContext context, ExecutionNode node)
    {
        if (node is ResolvedValueNode)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            return Task.CompletedTask;
        }

        return base.ExecuteNodeAsync(context, node);
    }

    protected override void SetSubFieldNodes(ExecutionContext context, ObjectExecutionNode parent)
    {
        if (parent.SelectionSet is not { } selectionSet || PreparedOperation.Of(context.Operation) is not { } prepared)
        {
            base.SetSubFieldNodes(context, parent);
            return;
        }

        var type = parent.GetObjectGraphType(context.Schema) ?? parent.GraphType;
        if (!prepared.TryGetCollectedFields(selectionSet, type, out var fields))
        {
            fields = prepared.RememberCollectedFields(selectionSet, type, CollectFieldsFrom(context, type, selectionSet, null));
        }

        if (fields is null)
        {
            base.SetSubFieldNodes(context, parent);
            return;
        }

        var nodes = new ExecutionNode[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            nodes[i] = PropertyFields.ResolvedNode(parent, fields[i])
                ?? BuildExecutionNode(parent, fields[i].Definition.ResolvedType!, fields[i].Field, fields[i].Definition);
        }

        parent.SubFields = nodes;
    }
}
