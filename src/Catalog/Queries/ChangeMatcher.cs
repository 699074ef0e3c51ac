using System.Text;
using Npgsql;
using NpgsqlTypes;
using Portal.Catalog.Model;

namespace Portal.Catalog.Queries;

/// <summary>
/// Tells which changed entities each of several filters selects, for live change feeds. Entities that still exist
/// are matched in SQL with the same semantics as <see cref="EntityQueryService.QueryAsync"/>: one round trip answers
/// every filter for a whole batch of changes. A deleted entity has nothing left but its ref, so
/// <see cref="MayMatchDeleted"/> decides with kind, namespace and name and gives the benefit of the doubt on the rest.
/// </summary>
public sealed class ChangeMatcher(NpgsqlDataSource dataSource)
{
    /// <summary>Most refs one call may ask about (one bus message carries at most 500 changes).</summary>
    public const int MaxRefs = 1000;

    // Filters are translated side by side into one SELECT; past this many the statement is split.
    private const int FiltersPerStatement = 32;

    /// <summary>
    /// Throws <see cref="InvalidQueryException"/> for a filter the catalog cannot run, so that a subscription with a
    /// bad filter fails when it starts rather than on the first change.
    /// </summary>
    public static void Validate(EntityFilter filter) => new FilterSql([]).Translate(filter);

    /// <summary>
    /// For each filter, in order, the refs (of <paramref name="refs"/>, lower-case) of existing entities it matches.
    /// Refs of entities that are not in the catalog match nothing.
    /// </summary>
    public async Task<IReadOnlyList<IReadOnlySet<string>>> MatchAsync(
        IReadOnlyList<string> refs, IReadOnlyList<EntityFilter> filters, CancellationToken cancellationToken)
    {
        if (refs.Count > MaxRefs)
        {
            throw new ArgumentOutOfRangeException(nameof(refs), $"At most {MaxRefs} refs per call.");
        }

        var matches = filters.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToList();
        if (refs.Count == 0 || filters.Count == 0)
        {
            return matches;
        }

        var lowered = refs.Select(r => r.ToLowerInvariant()).Distinct().ToArray();
        await using var batch = dataSource.CreateBatch();
        for (var start = 0; start < filters.Count; start += FiltersPerStatement)
        {
            var parameters = new List<NpgsqlParameter>();
            var sql = new FilterSql(parameters);
            var columns = new StringBuilder();
            foreach (var filter in filters.Skip(start).Take(FiltersPerStatement))
            {
                columns.Append(", ").Append(sql.Translate(filter));
            }

            var refsParameter = FilterSql.AddPositional(parameters, lowered, NpgsqlDbType.Array | NpgsqlDbType.Text);
            var command = new NpgsqlBatchCommand($"SELECT e.ref{columns} FROM catalog.entities e WHERE e.ref = ANY({refsParameter})");
            command.Parameters.AddRange(parameters.ToArray());
            batch.BatchCommands.Add(command);
        }

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var offset = 0;
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var entityRef = reader.GetString(0);
                for (var column = 1; column < reader.FieldCount; column++)
                {
                    if (!reader.IsDBNull(column) && reader.GetBoolean(column))
                    {
                        matches[offset + column - 1].Add(entityRef);
                    }
                }
            }

            offset += FiltersPerStatement;
        }
        while (await reader.NextResultAsync(cancellationToken));

        return matches;
    }

    /// <summary>
    /// Whether a deleted entity could have matched the filter. Conditions on its kind, namespace and name are decided;
    /// any other condition is unknown, and the entity matches unless a decided condition rules it out (a subscriber
    /// may hear of the deletion of an entity it never saw, but never misses one it did).
    /// </summary>
    public static bool MayMatchDeleted(EntityFilter filter, string entityRef) =>
        !EntityRef.TryParse(entityRef, null, "default", out var parsed, out _) || Evaluate(filter, parsed, depth: 0) != Truth.False;

    private static Truth Evaluate(EntityFilter filter, EntityRef entity, int depth)
    {
        if (depth > 16)
        {
            return Truth.Unknown;
        }

        switch (filter)
        {
            case AllOf all:
                var allResults = all.Filters.Select(f => Evaluate(f, entity, depth + 1)).ToList();
                return allResults.Contains(Truth.False) ? Truth.False : allResults.Contains(Truth.Unknown) ? Truth.Unknown : Truth.True;

            case AnyOf any:
                var anyResults = any.Filters.Select(f => Evaluate(f, entity, depth + 1)).ToList();
                return anyResults.Contains(Truth.True) ? Truth.True : anyResults.Contains(Truth.Unknown) ? Truth.Unknown : Truth.False;

            case Negation negation:
                return Evaluate(negation.Filter, entity, depth + 1) switch
                {
                    Truth.True => Truth.False,
                    Truth.False => Truth.True,
                    _ => Truth.Unknown,
                };

            case Condition condition:
                var known = condition.Key.Trim().ToLowerInvariant() switch
                {
                    "kind" => entity.Kind,
                    "metadata.namespace" => entity.Namespace,
                    "metadata.name" => entity.Name,
                    _ => null,
                };
                if (known is null)
                {
                    return Truth.Unknown;
                }

                return condition.Values is null
                    || condition.Values.Any(v => string.Equals(v.Trim(), known, StringComparison.OrdinalIgnoreCase))
                    ? Truth.True
                    : Truth.False;

            default:
                return Truth.Unknown;
        }
    }

    private enum Truth
    {
        False,
        Unknown,
        True,
    }
}
