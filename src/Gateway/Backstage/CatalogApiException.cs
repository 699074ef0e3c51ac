namespace Portal.Gateway.Backstage;

/// <summary>
/// A request the catalog REST API answers with an error body. <see cref="Name"/> is the error class a Backstage client
/// expects for the status (<c>InputError</c> for 400, <c>NotFoundError</c> for 404, ...).
/// </summary>
internal sealed class CatalogApiException(int statusCode, string name, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Name { get; } = name;

    public static CatalogApiException Input(string message) => new(StatusCodes.Status400BadRequest, "InputError", message);

    public static CatalogApiException NotFound(string message) => new(StatusCodes.Status404NotFound, "NotFoundError", message);

    public static CatalogApiException NotAllowed(string message) => new(StatusCodes.Status403Forbidden, "NotAllowedError", message);

    public static CatalogApiException Conflict(string message) => new(StatusCodes.Status409Conflict, "ConflictError", message);
}
