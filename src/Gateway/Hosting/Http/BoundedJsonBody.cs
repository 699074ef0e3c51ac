using System.Buffers;
using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace Portal.Gateway.Hosting.Http;

/// <summary>Why a request body was not read as JSON; each surface answers each kind in its own words.</summary>
internal enum JsonBodyFailure
{
    /// <summary>The Content-Type is not <c>application/json</c>.</summary>
    UnsupportedMediaType,

    /// <summary>The body is larger than the limit, as declared in Content-Length or as found while reading.</summary>
    TooLarge,

    /// <summary>The body is empty.</summary>
    Empty,

    /// <summary>The body is not JSON, or nests deeper than <see cref="BoundedJsonBody.MaxDepth"/> levels.</summary>
    InvalidJson,
}

/// <summary>
/// A JSON request body read within bounds, the one way every surface reads one (the Backstage REST API, GraphQL over
/// HTTP): <c>application/json</c> only, at most a given number of bytes (a missing Content-Length is not trusted: the
/// limit holds while reading), and at most <see cref="MaxDepth"/> levels deep. The bytes as received stay beside the
/// parsed document, for a caller that must check them as they came (a webhook's signature). A body that cannot be read
/// says why (<see cref="Failure"/>) rather than throwing, so that each surface keeps its own status codes and wording.
/// </summary>
internal sealed class BoundedJsonBody : IDisposable
{
    public const int MaxDepth = 64;

    private const string JsonMediaType = "application/json";
    private const int ChunkBytes = 16 * 1024;

    private readonly JsonDocument? _document;

    private BoundedJsonBody(ReadOnlyMemory<byte> bytes, JsonDocument? document, JsonBodyFailure? failure, string? parseError)
    {
        Bytes = bytes;
        _document = document;
        Failure = failure;
        ParseError = parseError;
    }

    /// <summary>Why the body was not read; null when <see cref="Document"/> holds it.</summary>
    public JsonBodyFailure? Failure { get; }

    /// <summary>The JSON parser's message, for <see cref="JsonBodyFailure.Empty"/> and <see cref="JsonBodyFailure.InvalidJson"/>.</summary>
    public string? ParseError { get; }

    /// <summary>The body's bytes as received; empty when it was refused before it was read (media type, declared size).</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    public JsonDocument Document => _document ?? throw new InvalidOperationException($"The request body was not read ({Failure}).");

    public JsonElement RootElement => Document.RootElement;

    public static async Task<BoundedJsonBody> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals(JsonMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return new BoundedJsonBody(default, null, JsonBodyFailure.UnsupportedMediaType, null);
        }

        if (request.ContentLength > maxBytes)
        {
            return new BoundedJsonBody(default, null, JsonBodyFailure.TooLarge, null);
        }

        if (await ReadBoundedAsync(request.Body, request.ContentLength, maxBytes, cancellationToken) is not { } bytes)
        {
            return new BoundedJsonBody(default, null, JsonBodyFailure.TooLarge, null);
        }

        try
        {
            // The document reads the bytes in place: they are not copied, and stay as received.
            return new BoundedJsonBody(bytes, JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = MaxDepth }), null, null);
        }
        catch (JsonException exception)
        {
            return new BoundedJsonBody(bytes, null, bytes.IsEmpty ? JsonBodyFailure.Empty : JsonBodyFailure.InvalidJson, exception.Message);
        }
    }

    public void Dispose() => _document?.Dispose();

    /// <summary>The body, or null once it passes the limit.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadBoundedAsync(Stream body, long? contentLength, int maxBytes, CancellationToken cancellationToken)
    {
        // Received already, before the request took its turn (RequestBodies): the bytes are in memory.
        if (body is MemoryStream { Position: 0 } received && received.TryGetBuffer(out var whole))
        {
            return whole.Count <= maxBytes ? whole.AsMemory() : null;
        }

        // The common case: the length is declared (and already checked against the limit), so read it in one buffer.
        // The server ends the body at the declared length, and fails the read of one that ends before it.
        if (contentLength is { } length)
        {
            var exact = new byte[length];
            await body.ReadExactlyAsync(exact, cancellationToken);
            return exact;
        }

        // A missing Content-Length (a chunked upload) is bounded while reading.
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var read = await body.ReadAsync(buffer.GetMemory(ChunkBytes), cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return null;
            }
        }
    }
}
