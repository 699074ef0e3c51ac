using GraphQL.Types;
using Portal.Catalog.Queries;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL.Catalog;

public sealed class HistoryItemGraphType : ObjectGraphType<HistoryItem>
{
    public HistoryItemGraphType()
    {
        Name = "HistoryItem";
        Field<NonNullGraphType<StringGraphType>>("change").Description("created, updated, deleted, orphaned.").ResolveProperty(item => item.Change);
        Field<NonNullGraphType<StringGraphType>>("actor").Description("The location or caller that made the change.").ResolveProperty(item => item.Actor);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("changedFields").Resolve(c => c.Source.ChangedFields);
        Field<NonNullGraphType<DateTimeOffsetGraphType>>("at").ResolveProperty(item => item.At);
    }
}
