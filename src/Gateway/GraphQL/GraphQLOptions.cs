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

    /// <summary>Most aliases in one document (counted in its text: a fragment's aliases once).</summary>
    [Range(0, 10_000)]
    public int MaxAliases { get; set; } = 50;

    /// <summary>Most fields in one document's text (a fragment's fields once, however often it is spread).</summary>
    [Range(1, 100_000)]
    public int MaxFields { get; set; } = 1_000;

    /// <summary>
    /// Most input values written in one document's text (each scalar, list and object of an argument, a directive's
    /// argument or a variable's default). Every validation rule visits each of them, which costs far more than
    /// coercing the same values passed as variables; large inputs (a list of refs) belong in variables.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxInputValues { get; set; } = 2_000;

    /// <summary>Most operations one document defines (a request runs one of them, but validation walks them all).</summary>
    [Range(1, 1_000)]
    public int MaxOperations { get; set; } = 20;

    /// <summary>Most variables one operation declares.</summary>
    [Range(1, 10_000)]
    public int MaxVariables { get; set; } = 100;

    /// <summary>
    /// Most fragment definitions in one document. Validation follows the spreads between fragments, for each pair of
    /// them in places, so their number is bounded before any rule runs.
    /// </summary>
    [Range(0, 10_000)]
    public int MaxFragments { get; set; } = 100;

    /// <summary>
    /// Longest chain of nested fragment spreads (an operation that spreads A, whose selection spreads B, is 2 deep).
    /// Validation and execution follow a chain by recursion, so its length is bounded before any rule runs.
    /// </summary>
    [Range(1, 100)]
    public int MaxFragmentDepth { get; set; } = 10;

    /// <summary>
    /// Most fields one operation or fragment selects once every spread is replaced by its fragment's fields. A few
    /// fragments that spread each other twice select thousands of fields from a short text; validating that they
    /// merge (the specification's overlapping-fields rule) costs far more than linear time in this number.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxExpandedFields { get; set; } = 5_000;

    /// <summary>
    /// Most pairs of fields that share a response name in one selection (its inline fragments and spread fragments
    /// counted in, and the sub-selections of fields named alike taken together): the specification's
    /// overlapping-fields rule compares every such pair, and GraphQL.NET's prints both fields' arguments to do so.
    /// A query that selects <c>ref</c> in each of ten inline fragments makes 45 pairs.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxOverlappingFieldPairs { get; set; } = 5_000;

    /// <summary>Most directives on one field, fragment, operation or variable (<c>@include</c> and <c>@skip</c> take two).</summary>
    [Range(1, 1_000)]
    public int MaxDirectivesPerLocation { get; set; } = 10;

    /// <summary>
    /// Deepest nesting of the query text, in syntax nodes (a field's selection set, a list or object value each add
    /// one), checked while parsing: the parser, and every walk of the document after it, recurse that deep.
    /// </summary>
    [Range(16, 512)]
    public int MaxSyntaxDepth { get; set; } = 128;

    /// <summary>
    /// Most errors one response lists; beyond them one more error says how many were left out. Validation stops once
    /// it has found more than this many.
    /// </summary>
    [Range(1, 1_000)]
    public int MaxErrors { get; set; } = 20;

    /// <summary>
    /// Longest an operation may take, from parsing through validation to its last resolver, before it is cancelled
    /// with a TIMEOUT error.
    /// </summary>
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
