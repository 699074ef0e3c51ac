namespace Portal.Gateway.Backstage;

/// <summary>
/// A request the Backstage-compatible REST API answers with an error body. <see cref="Name"/> is the error class a Backstage client
/// expects for the status (<c>InputError</c> for 400, <c>NotFoundError</c> for 404, ...).
/// </summary>
internal sealed class BackstageApiException(int statusCode, string name, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string Name { get; } = name;

    public static BackstageApiException Input(string message) => new(StatusCodes.Status400BadRequest, "InputError", message);

    public static BackstageApiException NotFound(string message) => new(StatusCodes.Status404NotFound, "NotFoundError", message);

    public static BackstageApiException NotAllowed(string message) => new(StatusCodes.Status403Forbidden, "NotAllowedError", message);
}
