using System.ComponentModel.DataAnnotations;
using Portal.Gateway.GraphQL.Execution.Prepared;

namespace Portal.Gateway.GraphQL;

/// <summary>Settings of the GraphQL endpoint, bound from the <c>Graph</c> configuration section.</summary>
public sealed class GraphQLOptions
{
    public const string Section = "Graph";

    /// <summary>Largest request body accepted, in bytes.</summary>
    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 256 * 1024;

    /// <summary>Accept a JSON array of operations in one POST. Off by default: one request is one operation.</summary>
    public bool AllowBatching { get; set; }

    /// <summary>Most operations in one batch, when batching is allowed.</summary>
    [Range(1, 1000)]
    public int MaxBatchSize { get; set; } = 10;

    /// <summary>Largest <c>first</c> a connection accepts.</summary>
    [Range(1, 500)]
    public int MaxPageSize { get; set; } = 100;

    /// <summary>Deepest selection nesting a document may have.</summary>
    [Range(2, 100)]
    public int MaxDepth { get; set; } = 15;

    /// <summary>
    /// Largest estimated cost: each field costs 1, and a list field multiplies what it selects by its <c>first</c>
    /// (or 5 when it has none), so <c>entities(first: 100) { nodes { owner { name } } }</c> costs about 300.
    /// </summary>
    [Range(10, 10_000_000)]
    public int MaxComplexity { get; set; } = 20_000;

    [Range(0, 10_000)]
    public int MaxAliases { get; set; } = 50;

    [Range(1, 100_000)]
    public int MaxFields { get; set; } = 1_000;

    /// <summary>Longest an operation may run before it is cancelled with a TIMEOUT error.</summary>
    public TimeSpan ExecutionTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Query text, in characters, of the parsed and validated documents kept per replica (see
    /// <see cref="GraphQLDocumentCache"/>); a prepared document (its syntax tree and what was learned from it) takes some twenty times its text in memory. 0 parses and
    /// validates every request from scratch.
    /// </summary>
    [Range(0, 100_000_000)]
    public int DocumentCacheChars { get; set; } = 1_000_000;

    /// <summary>Longest query text that is cached; a UI's documents are a few kilobytes.</summary>
    [Range(0, 1024 * 1024)]
    public int MaxCachedDocumentChars { get; set; } = 16 * 1024;

    /// <summary>Answer <c>__schema</c>/<c>__type</c>. Tooling (GraphiQL, codegen) needs it; switch off to hide the schema.</summary>
    public bool EnableIntrospection { get; set; } = true;
}
