using Npgsql;
using Portal.Catalog.Entities;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;
using Portal.Postgres.Failures;

namespace Portal.Gateway.Failures;

/// <summary>The kinds of catalog failure a client is told about, whichever API it called.</summary>
public enum CatalogFailureKind
{
    /// <summary>The request itself is wrong (a filter, a descriptor): fixing the request fixes it.</summary>
    InvalidInput,

    /// <summary>The configuration does not allow it (a location target off the allowed roots or hosts).</summary>
    NotAllowed,

    /// <summary>A location target could not be read (missing, refused, timed out, too large).</summary>
    TargetUnreadable,

    /// <summary>It clashes with what is stored (a location registered already, an entity another location manages).</summary>
    Conflict,

    /// <summary>
    /// The catalog cannot answer right now (its database is away, restarting or busy, or the request ran out of time);
    /// trying again later may work. <see cref="CatalogFailure.RetryAfterSeconds"/> says when.
    /// </summary>
    Unavailable,
}

/// <summary>
/// One table from the catalog's exceptions to what a client is told, read by both APIs: the REST API turns the kind
/// into a status and Backstage's error name, GraphQL into <c>extensions.code</c>. Written once, so the two APIs cannot
/// disagree about the same failure (a refused target is 403 and <c>FORBIDDEN</c>; an unreachable database 503 and
/// <c>SERVICE_UNAVAILABLE</c>). Anything not here is unexpected: logged with its stack, and answered without details.
/// </summary>
/// <remarks>
/// Database failures (<see cref="DatabaseFailure"/>) each say which: an unreachable database, a lost connection (a
/// restart), an exhausted pool, a statement timeout, and input PostgreSQL refuses (too many parameters, text it cannot
/// hold, one of its limits), which is the client's to fix.
/// </remarks>
public sealed record CatalogFailure(CatalogFailureKind Kind, string Message)
{
    public const string UnavailableMessage = "The catalog database is not reachable right now; try again shortly.";

    /// <summary>The wait a client is asked for when a moment is likely enough (a busy pool, a restarted connection).</summary>
    public const int ShortRetryAfterSeconds = 1;

    /// <summary>The wait a client is asked for otherwise (a database away, a query out of time).</summary>
    public const int RetryAfterSecondsDefault = 5;

    /// <summary>For <see cref="CatalogFailureKind.Unavailable"/>: seconds to wait before trying again (REST's <c>Retry-After</c>, GraphQL's <c>extensions.retryAfter</c>).</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>
    /// The connection to the database was lost (a restart, a broken socket). Npgsql has dropped it, so a read tried
    /// once more runs on a fresh connection and likely succeeds; a write is never tried again (it may have committed).
    /// </summary>
    public bool RetriesReads { get; init; }

    /// <summary>What the database did, when it was the database: the kind an outage log counts.</summary>
    public DatabaseFailureKind? Database { get; init; }

    public static CatalogFailure? Of(Exception exception) => exception switch
    {
        InvalidQueryException or EntityValidationException => new(CatalogFailureKind.InvalidInput, exception.Message),
        LocationForbiddenException => new(CatalogFailureKind.NotAllowed, exception.Message),
        LocationReadException => new(CatalogFailureKind.TargetUnreadable, exception.Message),
        EntityConflictException or LocationConflictException => new(CatalogFailureKind.Conflict, exception.Message),

        // An error PostgreSQL answered with that is not one of these is a bug of ours (a constraint, a syntax error).
        _ => DatabaseFailure.Classify(exception) is { } database ? OfDatabase(database, exception) : null,
    };

    /// <summary>A request stopped by its own time limit (<paramref name="setting"/>: the option that sets it).</summary>
    public static CatalogFailure TimedOut(TimeSpan limit, string setting) => new(CatalogFailureKind.Unavailable,
        $"The request did not finish within {limit.TotalSeconds:0.###} s ({setting}) and was stopped; try again, or ask for less (a smaller page, a narrower filter).")
    {
        RetryAfterSeconds = RetryAfterSecondsDefault,
    };

    private static CatalogFailure OfDatabase(DatabaseFailureKind kind, Exception exception) => kind switch
    {
        DatabaseFailureKind.Unreachable => Unavailable(kind, UnavailableMessage, RetryAfterSecondsDefault),
        DatabaseFailureKind.ConnectionLost => Unavailable(kind,
            "The connection to the catalog database was lost (the database may be restarting); try again shortly.", ShortRetryAfterSeconds) with
        { RetriesReads = true },
        DatabaseFailureKind.PoolExhausted => Unavailable(kind,
            "The catalog is busy: every database connection of this server stayed in use for the whole pool timeout; try again shortly.", ShortRetryAfterSeconds),
        DatabaseFailureKind.OutOfResources => Unavailable(kind,
            "The catalog database is out of connections, memory or disk right now; try again shortly.", RetryAfterSecondsDefault),
        DatabaseFailureKind.StatementTimeout => Unavailable(kind,
            "The catalog database stopped the query at its statement timeout (Database:StatementTimeout); try again shortly, or ask for less (a smaller page, a narrower filter).",
            RetryAfterSecondsDefault),
        DatabaseFailureKind.ServerCancelled => Unavailable(kind, "The catalog database cancelled the query; try again shortly.", RetryAfterSecondsDefault),
        DatabaseFailureKind.CommandTimeout => Unavailable(kind, "The catalog database did not answer in time; try again shortly.", RetryAfterSecondsDefault),
        DatabaseFailureKind.TooManyParameters => Invalid(kind,
            "The request names more values than one database query can take (65,535 at most): ask for fewer (a shorter value list, fewer refs)."),
        DatabaseFailureKind.UnstorableText => Invalid(kind,
            $"The request holds text the catalog cannot store or match ({ServerMessage(exception)}): U+0000 and lone surrogates cannot be stored."),
        DatabaseFailureKind.ProgramLimit => Invalid(kind,
            $"The request asks more of one database query than PostgreSQL allows ({ServerMessage(exception)}): ask for less (fewer conditions, values or fields)."),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "a database failure kind without an answer"),
    };

    private static CatalogFailure Unavailable(DatabaseFailureKind kind, string message, int retryAfterSeconds) =>
        new(CatalogFailureKind.Unavailable, message) { Database = kind, RetryAfterSeconds = retryAfterSeconds };

    private static CatalogFailure Invalid(DatabaseFailureKind kind, string message) => new(CatalogFailureKind.InvalidInput, message) { Database = kind };

    /// <summary>PostgreSQL's own words for what it refused: the limit, or the bytes it could not take.</summary>
    private static string ServerMessage(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is PostgresException postgres)
            {
                return postgres.MessageText;
            }
        }

        return exception.Message;
    }
}
