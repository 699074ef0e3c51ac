using System.Net.Sockets;
using Npgsql;

namespace Portal.Postgres.Failures;

/// <summary>What went wrong with the database, as far as a caller can act on it.</summary>
public enum DatabaseFailureKind
{
    /// <summary>No connection could be made (refused, unknown host, connect timeout, wrong credentials, no such database).</summary>
    Unreachable,

    /// <summary>
    /// An open connection was lost: the server shut down or restarted (57P01, 57P02, 57P03), ended the session, or the
    /// socket broke. Npgsql drops the broken connection (and clears the pool), so work tried again gets a fresh one.
    /// </summary>
    ConnectionLost,

    /// <summary>
    /// The server is out of a resource (class 53: too many connections, out of memory, disk full): it is there, but
    /// cannot take the work until a resource frees up.
    /// </summary>
    OutOfResources,

    /// <summary>Every connection of the pool stayed in use for the whole pool timeout (<c>Timeout</c> of the connection string).</summary>
    PoolExhausted,

    /// <summary>The server stopped the statement after <c>statement_timeout</c> (57014).</summary>
    StatementTimeout,

    /// <summary>The server cancelled the statement for some other reason (an administrator's <c>pg_cancel_backend</c>).</summary>
    ServerCancelled,

    /// <summary>The server did not answer within the client's command timeout (<c>Command Timeout</c>).</summary>
    CommandTimeout,

    /// <summary>A statement with more parameters than the protocol carries (65535); Npgsql refuses it before sending.</summary>
    TooManyParameters,

    /// <summary>Text PostgreSQL cannot hold (22021, 22P05): U+0000, or bytes that are not valid in the database encoding.</summary>
    UnstorableText,

    /// <summary>A statement beyond one of PostgreSQL's own limits (class 54: sizes, nesting, argument counts).</summary>
    ProgramLimit,
}

/// <summary>
/// Classifies the exceptions of Npgsql (and of EF Core, which wraps them) into what happened. One table, for every
/// caller: the request surfaces answer each kind in their own way, background work retries the ones that pass.
/// Anything not here (a constraint violation, a syntax error) is no fault of the database's: a bug of ours.
/// </summary>
public static class DatabaseFailure
{
    // Deep enough for EF Core's wrapping (InvalidOperationException or DbUpdateException around the NpgsqlException
    // around its cause); an exception chain is finite, but nothing here walks more of one than it needs.
    private const int MaxDepth = 6;

    /// <summary>The kind of database failure behind an exception, or null when it is not one.</summary>
    public static DatabaseFailureKind? Classify(Exception exception)
    {
        var current = exception;
        for (var depth = 0; current is not null && depth < MaxDepth; depth++, current = current.InnerException)
        {
            // A cancellation the caller asked for is not a failure, whatever Npgsql found on the wire meanwhile.
            if (current is OperationCanceledException)
            {
                return null;
            }

            if (ClassifyOne(current) is { } kind)
            {
                return kind;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the database is away or overloaded (rather than refusing what was asked): work that failed this way
    /// may succeed when tried again later, and background work waits and retries.
    /// </summary>
    public static bool IsTransient(DatabaseFailureKind kind) => kind is not
        (DatabaseFailureKind.TooManyParameters or DatabaseFailureKind.UnstorableText or DatabaseFailureKind.ProgramLimit);

    /// <summary>True for an exception of a database that is away or overloaded (see <see cref="IsTransient(DatabaseFailureKind)"/>).</summary>
    public static bool IsTransient(Exception exception) => Classify(exception) is { } kind && IsTransient(kind);

    /// <summary>The kind in a few words, for a log line.</summary>
    public static string Describe(DatabaseFailureKind kind) => kind switch
    {
        DatabaseFailureKind.Unreachable => "the database is not reachable",
        DatabaseFailureKind.ConnectionLost => "the connection to the database was lost (the database may be restarting)",
        DatabaseFailureKind.PoolExhausted => "every connection of the pool stayed in use for the whole pool timeout",
        DatabaseFailureKind.OutOfResources => "the database server is out of connections, memory or disk",
        DatabaseFailureKind.StatementTimeout => "the database stopped a statement at its statement timeout",
        DatabaseFailureKind.ServerCancelled => "the database cancelled a statement",
        DatabaseFailureKind.CommandTimeout => "the database did not answer within the command timeout",
        DatabaseFailureKind.TooManyParameters => "a statement has more parameters than PostgreSQL takes",
        DatabaseFailureKind.UnstorableText => "text the database cannot hold",
        DatabaseFailureKind.ProgramLimit => "a statement beyond a limit of PostgreSQL",
        _ => kind.ToString(),
    };

    private static DatabaseFailureKind? ClassifyOne(Exception exception) => exception switch
    {
        PostgresException postgres => ClassifyServerError(postgres),

        // Npgsql has no exception type per failure, only its messages (which it does not translate).
        NpgsqlException { InnerException: TimeoutException } pool when pool.Message.StartsWith("The connection pool has been exhausted", StringComparison.Ordinal)
            => DatabaseFailureKind.PoolExhausted,
        NpgsqlException parameters when parameters.Message.StartsWith("A statement cannot have more than", StringComparison.Ordinal)
            => DatabaseFailureKind.TooManyParameters,
        NpgsqlException connect when connect.Message.StartsWith("Failed to connect", StringComparison.Ordinal) => DatabaseFailureKind.Unreachable,
        NpgsqlException { InnerException: TimeoutException } => DatabaseFailureKind.CommandTimeout,
        NpgsqlException { InnerException: IOException or SocketException } => DatabaseFailureKind.ConnectionLost,
        NpgsqlException { IsTransient: true } => DatabaseFailureKind.Unreachable,
        TimeoutException => DatabaseFailureKind.CommandTimeout,
        _ => null,
    };

    private static DatabaseFailureKind? ClassifyServerError(PostgresException error) => error.SqlState switch
    {
        // statement_timeout and a cancel request share the code; only the text tells them apart. A cancel that Npgsql
        // sent for its caller never gets here: Npgsql turns it into an OperationCanceledException or a command timeout.
        PostgresErrorCodes.QueryCanceled when error.MessageText.Contains("statement timeout", StringComparison.Ordinal) => DatabaseFailureKind.StatementTimeout,
        PostgresErrorCodes.QueryCanceled => DatabaseFailureKind.ServerCancelled,

        PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.DatabaseDropped or PostgresErrorCodes.IdleSessionTimeout => DatabaseFailureKind.ConnectionLost,
        PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter => DatabaseFailureKind.UnstorableText,

        // Class 08: the connection itself failed; class 28: the server refuses our credentials; 3D000: no such
        // database (each leaves it unusable until mended); class 53: the server is out of connections, memory or disk.
        { } state when state.StartsWith("08", StringComparison.Ordinal) => DatabaseFailureKind.ConnectionLost,
        { } state when state.StartsWith("28", StringComparison.Ordinal) || state == PostgresErrorCodes.InvalidCatalogName => DatabaseFailureKind.Unreachable,
        { } state when state.StartsWith("53", StringComparison.Ordinal) => DatabaseFailureKind.OutOfResources,
        { } state when state.StartsWith("54", StringComparison.Ordinal) => DatabaseFailureKind.ProgramLimit,
        _ => null,
    };
}
