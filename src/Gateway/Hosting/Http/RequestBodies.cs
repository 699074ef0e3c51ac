using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Portal.Gateway.Failures;

namespace Portal.Gateway.Hosting.Http;

/// <summary>
/// Receives a request's body in full before the request is served, within a size and a time limit, so that a client
/// sending slowly keeps only its own connection waiting. The surfaces then read the received body as usual
/// (<see cref="BoundedJsonBody"/>), from memory.
/// </summary>
internal static class RequestBodies
{
    private const int ChunkBytes = 16 * 1024;

    /// <summary>
    /// True when the body is here (or there is none) and the request may go on; false when it was answered: 413 past
    /// <paramref name="maxBytes"/>, 408 when the body took longer than <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> ReceiveAsync(HttpContext context, int maxBytes, TimeSpan timeout)
    {
        var request = context.Request;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false } || request.ContentLength == 0)
        {
            return true;
        }

        if (request.ContentLength > maxBytes)
        {
            return true; // refused by its declared length, before a byte of it is read, by the surface it is for
        }

        // Held in memory, up to the limit: no surface takes a larger body.
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        limit.CancelAfter(timeout);
        byte[] bytes;
        try
        {
            if (request.ContentLength is { } length)
            {
                // The common case: the length is declared (and within the limit). The server ends the body there.
                bytes = new byte[length];
                await request.Body.ReadExactlyAsync(bytes, limit.Token);
            }
            else if (await ReadUndeclaredAsync(request.Body, maxBytes, limit.Token) is { } undeclared)
            {
                bytes = undeclared;
            }
            else
            {
                await ErrorBodies.AnswerAsync(context, StatusCodes.Status413PayloadTooLarge, "PayloadTooLargeError", "BAD_REQUEST",
                    $"The request body is larger than {maxBytes} bytes.");
                return false;
            }
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            await ErrorBodies.AnswerAsync(context, StatusCodes.Status408RequestTimeout, "InputError", "BAD_REQUEST",
                $"The request body did not arrive within {timeout.TotalSeconds:0.###} s (Load:RequestBodyTimeout).");
            return false;
        }

        // (A body the server found malformed, cut short or sent below its minimum rate, threw its BadHttpRequestException
        // above, answered with its own status by ErrorBodies.)
        // Its buffer is visible, so that BoundedJsonBody parses these bytes in place instead of copying them again.
        request.Body = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);
        return true;
    }

    /// <summary>A body without a declared length (chunked), or null once it grows past <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadUndeclaredAsync(Stream body, int maxBytes, CancellationToken cancellationToken)
    {
        var received = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var read = await body.ReadAsync(received.GetMemory(ChunkBytes), cancellationToken);
            if (read == 0)
            {
                return received.WrittenSpan.ToArray();
            }

            received.Advance(read);
            if (received.WrittenCount > maxBytes)
            {
                return null;
            }
        }
    }
}
