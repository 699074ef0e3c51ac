using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Portal.Gateway.GraphQL.Execution.Prepared;

/// <summary>
/// Documents that parsed and passed validation, by transport, operation name and query text. A portal UI sends the
/// same few documents over and over with different variables, and for a small request parsing and the
/// specification's validation rules cost more than the execution itself. A cached document skips those and the walks
/// that find again what the document alone decides (<see cref="PreparedOperation"/>): variable coercion, argument
/// values, the complexity limit (list sizes come from variables) and the authorization check (the user) run on every
/// request (<see cref="PreparedOperationValidator"/>). The transport and the operation name are part
/// of the key because the rules differ by transport (no mutation over GET) and some apply to the chosen operation only.
/// </summary>
internal sealed class GraphQLDocumentCache : IDisposable
{
    private readonly MemoryCache? _documents;
    private readonly int _maxChars;

    public GraphQLDocumentCache(IOptions<GraphQLOptions> options)
    {
        _maxChars = options.Value.MaxCachedDocumentChars;

        // Each entry counts its query's length against the limit; past it, the least recently used entries leave.
        _documents = options.Value.DocumentCacheChars > 0
            ? new MemoryCache(new MemoryCacheOptions { SizeLimit = options.Value.DocumentCacheChars })
            : null;
    }

    public int Count => _documents?.Count ?? 0;

    public PreparedOperation? Find(GraphQLTransport transport, string? operationName, string? query) =>
        _documents is not null && query is not null && query.Length <= _maxChars
            ? _documents.Get<PreparedOperation>(new Key(transport, operationName, query))
            : null;

    /// <summary>Whether a document of this length would be kept (so one too long is not prepared for nothing).</summary>
    public bool Keeps(string? query) => _documents is not null && query is not null && query.Length <= _maxChars;

    /// <summary>Keeps an operation that was parsed and validated for this transport.</summary>
    public void Remember(GraphQLTransport transport, string? operationName, string query, PreparedOperation operation)
    {
        if (Keeps(query))
        {
            _documents!.Set(new Key(transport, operationName, query), operation, new MemoryCacheEntryOptions { Size = Math.Max(1, query.Length) });
        }
    }

    public void Dispose() => _documents?.Dispose();

    private sealed record Key(GraphQLTransport Transport, string? OperationName, string Query);
}
