using System.Collections.Concurrent;
using Portal.Catalog.Queries;

namespace Portal.Gateway.Backstage.Catalog;

/// <summary>
/// The bodies of the catalog's bounded GET answers (a page, an entity, facets), each kept with the catalog version it
/// was made at and sent again only while that is still the version. Every catalog write, on any replica, bumps the
/// version in the database, and every request reads it first (one indexed single-row read): an answer is never older
/// than the last committed write. Dashboards ask the same few pages again and again (a team's page, an entity's), and
/// the catalog changes far less often than it is read; what a page costs the database and the JSON writer is then paid
/// once per version. See docs/decisions/0011-answers-per-catalog-version.md.
/// </summary>
/// <remarks>
/// The key is the request's path and query string as sent, so every parameter that shapes an answer (<c>fields</c>,
/// <c>cursor</c>, order) is part of it. It holds no caller: every caller allowed to read reads the same catalog. Bounded
/// by <see cref="BackstageApiOptions.AnswerCacheMegabytes"/>: once full, it keeps what it has and takes no more until
/// the next version empties it (so a flood of distinct URLs cannot push out the pages everybody asks for); an answer
/// larger than <see cref="MaxAnswerBytes"/> or asked for by a longer URL than <see cref="MaxKeyLength"/> is not kept.
/// A version lower than one seen (a database restored, or failed over to a standby that had not seen the last
/// writes) empties it too.
/// </remarks>
internal sealed class CatalogAnswerCache(long maxBytes)
{
    /// <summary>The largest body kept: a page of 500 entities with their relations is about this.</summary>
    internal const int MaxAnswerBytes = 1024 * 1024;

    internal const int MaxKeyLength = 4096;

    private const int EntryOverheadBytes = 200;

    private readonly ConcurrentDictionary<string, Answer> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InFlight> _making = new(StringComparer.Ordinal);
    private readonly Lock _newer = new();
    private long _bytes;
    private long _version = -1;

    // The version of an answer remembered only as the answer to a valid request: never sent (versions start at 0).
    private const long KnownValid = long.MinValue;

    public bool Enabled => maxBytes > 0;

    /// <summary>
    /// Runs <paramref name="handler"/> for the request unless an answer of the current version is kept: then sends that.
    /// An answer the handler makes with status 200 is kept, tagged with the version read before it read anything, so
    /// that it never passes for newer than it is.
    /// </summary>
    /// <remarks>
    /// A URL asked for the first time reads nothing here: whether it is a valid request is the route's to say, before
    /// any database work (a malformed request never reaches the database). Its 200 answer is remembered as valid only,
    /// without a version; from the next request of that URL on, the version is read first and answers are kept. A new
    /// version drops the answers but not that the URLs were valid.
    /// </remarks>
    public async Task AnswerAsync(HttpContext context, Func<HttpContext, Task> handler)
    {
        // The path as sent, still encoded: decoded, "/by-uid/x%3Fy" and "/by-uid/x?y" would be one key.
        var key = context.Request.Path.ToUriComponent() + context.Request.QueryString.Value;
        if (!Enabled || key.Length > MaxKeyLength)
        {
            await handler(context);
            return;
        }

        if (!_answers.TryGetValue(key, out var kept))
        {
            await RunAsync(context, handler, key, KnownValid);
            return;
        }

        var version = await context.RequestServices.GetRequiredService<EntityQueryService>().CatalogVersionAsync(context.RequestAborted);
        if (version < Volatile.Read(ref _version))
        {
            lock (_newer)
            {
                if (version < _version)
                {
                    Restart(version); // the database went back in time: what was kept may hold writes it no longer has
                }
            }
        }
        else if (kept.Version == version)
        {
            await SendAsync(context, kept);
            return;
        }

        // One request makes the answer at this version; the same URL asked meanwhile waits for it rather than making it
        // too: after a write, every caller of a popular page would otherwise make it at once (16 of one team page in the
        // benchmark's reads right after a bulk ingest), each holding one of the pool's few connections.
        var mine = new InFlight(version);
        var making = _making.GetOrAdd(key, mine);
        if (making != mine)
        {
            if (making.Version == version && await making.Answer.Task.WaitAsync(context.RequestAborted) is { } made)
            {
                await SendAsync(context, made);
                return;
            }

            await RunAsync(context, handler, key, version); // another version's, or it failed: made here
            return;
        }

        Answer? answer = null;
        try
        {
            answer = await RunAsync(context, handler, key, version);
        }
        finally
        {
            _making.TryRemove(new KeyValuePair<string, InFlight>(key, mine));
            mine.Answer.TrySetResult(answer); // null (made again by each waiting request) unless a 200 was made
        }
    }

    private static async Task SendAsync(HttpContext context, Answer answer)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = answer.ContentType;
        context.Response.ContentLength = answer.Body.Length;
        await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted);
    }

    /// <summary>
    /// Runs the route with its body written into memory, keeps it, and sends it. The routes kept answer one page (at
    /// most <c>CatalogLimits.MaxPageSize</c> entities, already in memory as the catalog read them), one entity or
    /// facets, so the copy is bounded by what the route holds anyway. Returns the answer when it is one to share (a 200
    /// made at a version read), whether or not there was room to keep it.
    /// </summary>
    private async Task<Answer?> RunAsync(HttpContext context, Func<HttpContext, Task> handler, string key, long version)
    {
        var connection = context.Response.Body;
        using var body = new MemoryStream();
        context.Response.Body = body;
        try
        {
            await handler(context);
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        }
        catch
        {
            BackstageResponses.Unstart(context); // nothing went out: the failure gets its error body
            throw;
        }
        finally
        {
            context.Response.Body = connection;
        }

        Answer? answer = null;
        if (context.Response.StatusCode == StatusCodes.Status200OK && body.Length <= MaxAnswerBytes)
        {
            answer = version == KnownValid
                ? AskedOnce
                : new Answer(version, body.ToArray(), context.Response.ContentType ?? "application/json");
            Keep(key, answer);
        }

        context.Response.ContentLength = body.Length;
        body.Position = 0;
        await body.CopyToAsync(connection, context.RequestAborted);
        return ReferenceEquals(answer, AskedOnce) ? null : answer;
    }

    private void Keep(string key, Answer answer)
    {
        if (answer.Version != KnownValid && answer.Version != Volatile.Read(ref _version))
        {
            lock (_newer)
            {
                if (answer.Version < _version)
                {
                    return; // made at a version already superseded: no request will ask for it again
                }

                if (answer.Version > _version)
                {
                    Restart(answer.Version); // versions only grow: what was kept for older ones will never be sent again
                }
            }
        }

        // What an entry costs besides its body and key: the entry, its record and the dictionary's node.
        var size = answer.Body.Length + (2L * key.Length) + EntryOverheadBytes;
        if (Interlocked.Add(ref _bytes, size) > maxBytes)
        {
            Interlocked.Add(ref _bytes, -size); // full: keep what is kept until the next version
            return;
        }

        _answers[key] = answer;
    }

    /// <summary>
    /// Empties the cache for <paramref name="version"/>, but for the URLs whose answers it was sending: they stay known
    /// as valid requests (whether a request is valid does not depend on the catalog's content), so that after a write
    /// each needs one request made anew, not two. Right after a bulk ingest at 100k, the second round of 113 full-text
    /// searches took most of a second. URLs asked for only once are forgotten, so that a flood of distinct URLs fills
    /// the cache for one version at most; what is carried over takes at most half of it. The caller holds
    /// <see cref="_newer"/>.
    /// </summary>
    private void Restart(long version)
    {
        var bytes = 0L;
        foreach (var (key, answer) in _answers)
        {
            var size = (2L * key.Length) + EntryOverheadBytes;
            if (ReferenceEquals(answer, AskedOnce) || bytes + size > maxBytes / 2)
            {
                _answers.TryRemove(key, out _);
            }
            else
            {
                _answers[key] = Valid;
                bytes += size;
            }
        }

        Interlocked.Exchange(ref _bytes, bytes);
        Volatile.Write(ref _version, version);
    }

    // A URL's first 200 answer, remembered as a valid request only; and a URL answered at an earlier version.
    private static readonly Answer AskedOnce = new(KnownValid, [], "");
    private static readonly Answer Valid = new(KnownValid, [], "");

    private sealed record Answer(long Version, byte[] Body, string ContentType);

    /// <summary>An answer being made at <see cref="Version"/>, for the requests of the same URL that come meanwhile.</summary>
    private sealed class InFlight(long version)
    {
        public long Version { get; } = version;

        public TaskCompletionSource<Answer?> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
