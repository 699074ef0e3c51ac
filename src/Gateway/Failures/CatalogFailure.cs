using Npgsql;
using Portal.Catalog.Entities;
using Portal.Catalog.Locations;
using Portal.Catalog.Queries;

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

    /// <summary>The catalog's database cannot be reached; trying again later may work.</summary>
    Unavailable,
}

/// <summary>
/// One table from the catalog's exceptions to what a client is told, read by both APIs: the REST API turns the kind
/// into a status and Backstage's error name, GraphQL into <c>extensions.code</c>. Written once, so the two APIs cannot
/// disagree about the same failure (a refused target is 403 and <c>FORBIDDEN</c>; an unreachable database 503 and
/// <c>SERVICE_UNAVAILABLE</c>). Anything not here is unexpected: logged, and answered without details.
/// </summary>
public sealed record CatalogFailure(CatalogFailureKind Kind, string Message)
{
    public const string UnavailableMessage = "The catalog database is not reachable right now; try again shortly.";

    public static CatalogFailure? Of(Exception exception) => exception switch
    {
        InvalidQueryException or EntityValidationException => new(CatalogFailureKind.InvalidInput, exception.Message),
        LocationForbiddenException => new(CatalogFailureKind.NotAllowed, exception.Message),
        LocationReadException => new(CatalogFailureKind.TargetUnreadable, exception.Message),
        EntityConflictException or LocationConflictException => new(CatalogFailureKind.Conflict, exception.Message),

        // A connection or I/O failure, not an error PostgreSQL answered with (that would be a bug of ours).
        NpgsqlException and not PostgresException or TimeoutException => new(CatalogFailureKind.Unavailable, UnavailableMessage),
        _ => null,
    };
}
