using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Portal.Catalog.Locations;

/// <summary>
/// <c>url</c> targets over http(s). Only hosts on <c>Catalog:Locations:AllowedHosts</c>; redirects are followed only
/// to allowed hosts; and the address actually connected to is checked after DNS resolution, so a name that resolves to
/// loopback, link-local (cloud metadata) or private space is refused unless configuration allows it.
/// </summary>
internal sealed class UrlTargetReader(IHttpClientFactory clients, IOptions<CatalogOptions> options) : ILocationTargetReader
{
    public const string HttpClientName = "catalog-locations";
    private const int MaxRedirects = 5;

    public string Type => "url";

    public Task<string> ValidateAsync(string target, CancellationToken cancellationToken) => Task.FromResult(Validate(target));

    private string Validate(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new LocationForbiddenException($"'{target}' is not an absolute http or https URL.");
        }

        // Credentials in a target would be stored and listed with it, and "trusted.example@10.0.0.1" reads like a host it is not.
        if (uri.UserInfo.Length > 0)
        {
            throw new LocationForbiddenException($"'{uri.Host}' is named with user information (user@host); URL locations may not carry it.");
        }

        if (!IsAllowedHost(uri.Host, options.Value.Locations.AllowedHosts))
        {
            throw new LocationForbiddenException(
                $"The host {uri.Host} is not allowed; URL locations may only name hosts in Catalog:Locations:AllowedHosts.");
        }

        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) && !options.Value.Locations.AllowPrivateAddresses && IsPrivate(literal))
        {
            throw new LocationForbiddenException($"{uri.Host} is a loopback, link-local or private address; URL locations may not use it.");
        }

        return uri.AbsoluteUri;
    }

    public async Task<IReadOnlyList<TargetFile>> ReadAsync(string target, int maxFiles, LocationReadBudget budget, CancellationToken cancellationToken)
    {
        var uri = new Uri(Validate(target));
        var client = clients.CreateClient(HttpClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.Locations.ReadTimeout);
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } next)
                {
                    if (redirects >= MaxRedirects)
                    {
                        throw new LocationReadException($"{target} redirected more than {MaxRedirects} times.");
                    }

                    uri = new Uri(Validate(new Uri(uri, next).AbsoluteUri));
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    var why = response.StatusCode switch
                    {
                        HttpStatusCode.NotFound => "not found (404)",
                        HttpStatusCode.TooManyRequests => "rate limited (429)",
                        HttpStatusCode.Forbidden => "forbidden or rate limited (403)",
                        _ => $"answered {(int)response.StatusCode} {response.ReasonPhrase}",
                    };
                    throw new LocationReadException($"{uri} {why}.");
                }

                return [new TargetFile(uri.AbsoluteUri, await ReadBoundedAsync(response, uri, budget, timeout.Token))];
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LocationReadException($"{uri} did not answer within {options.Value.Locations.ReadTimeout.TotalSeconds} s.");
        }
        catch (HttpRequestException exception)
        {
            throw new LocationReadException($"{uri} cannot be read: {exception.Message}");
        }
    }

    public bool IsRemote(string target) => true;

    public string Resolve(string declaringSource, string target) => new Uri(new Uri(declaringSource), target).AbsoluteUri;

    private async Task<string> ReadBoundedAsync(HttpResponseMessage response, Uri uri, LocationReadBudget budget, CancellationToken cancellationToken)
    {
        var limit = options.Value.Descriptors.MaxFileBytes;
        if (response.Content.Headers.ContentLength > limit)
        {
            throw new LocationReadException($"{uri} is over the limit of {limit} bytes (Catalog:Descriptors:MaxFileBytes).");
        }

        if (response.Content.Headers.ContentLength is { } length)
        {
            budget.Require(length);
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new LocationReadException($"{uri} is over the limit of {limit} bytes (Catalog:Descriptors:MaxFileBytes).");
            }

            budget.Take(read);
            buffer.Write(chunk, 0, read);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>
    /// Whether the host (as <see cref="Uri.Host"/> gives it: IPv4 in dotted decimal whatever form was written, IPv6 in
    /// brackets) is on the list; IPv6 entries may be written with or without brackets.
    /// </summary>
    internal static bool IsAllowedHost(string host, IEnumerable<string> allowed)
    {
        host = host.Trim('[', ']');
        return allowed.Any(pattern =>
            pattern.StartsWith("*.", StringComparison.Ordinal)
                ? host.EndsWith(pattern[1..], StringComparison.OrdinalIgnoreCase)
                : string.Equals(host, pattern.Trim('[', ']'), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Loopback, link-local, private, carrier-grade NAT, unspecified and multicast addresses, including IPv4 ones
    /// carried inside IPv6 (mapped, compatible, NAT64, 6to4), which a host or gateway may route to the IPv4 address.
    /// </summary>
    internal static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (EmbeddedIPv4(address) is { } embedded && IsPrivate(embedded))
        {
            return true;
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            return true;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] == 10
                || b[0] == 0
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                || b[0] >= 224;
        }

        return address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal;
    }

    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }

        var b = address.GetAddressBytes();
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback))
        {
            return new IPAddress(b.AsSpan(12, 4)); // ::a.b.c.d, IPv4-compatible (deprecated, still parsed)
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(b.AsSpan(12, 4)); // 64:ff9b::a.b.c.d, NAT64
        }

        return b[0] == 0x20 && b[1] == 0x02 ? new IPAddress(b.AsSpan(2, 4)) : null; // 2002:AABB:CCDD::, 6to4
    }

    /// <summary>
    /// The connection step of the locations' HTTP client: resolves the host and refuses private addresses before
    /// connecting, which also defeats DNS names that point at internal services.
    /// </summary>
    internal static SocketsHttpHandler CreateHandler(IOptions<CatalogOptions> options) => new()
    {
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var usable = options.Value.Locations.AllowPrivateAddresses ? addresses : addresses.Where(a => !IsPrivate(a)).ToArray();
            if (usable.Length == 0)
            {
                throw new HttpRequestException(
                    $"{context.DnsEndPoint.Host} resolves only to loopback, link-local or private addresses, which URL locations may not use.");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(usable, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
