using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Portal.Catalog.Entities;
using Portal.Testing;

namespace Portal.Gateway.Tests.Backstage.Catalog;

/// <summary>
/// Pages, entities and facets asked for again are sent from memory while the catalog's version is the one they were
/// made at: a write, here or on another replica, shows in the very next answer.
/// </summary>
public sealed class Keeping_answers_per_catalog_version(PortalApp app) : IClassFixture<PortalApp>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private CatalogApiClient Api() => new(app.CreateClient());

    private static Task<string> UpsertAsync(PortalAppFactory replica, string name, string owner, string description = "first") =>
        replica.Services.GetRequiredService<EntityService>().UpsertAsync((JsonObject)JsonNode.Parse($$$"""
            {"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":"{{{name}}}","description":"{{{description}}}"},
             "spec":{"type":"service","lifecycle":"production","owner":"{{{owner}}}"}}
            """)!, null, "test", Cancellation);

    private static string Description(ApiResponse entity) => entity.Json.GetProperty("metadata").GetProperty("description").GetString()!;

    [Fact]
    public async Task A_page_asked_again_is_the_same_until_a_write_here_changes_it()
    {
        using var api = Api();
        await UpsertAsync(app.Factory, "kept-a", "team-kept");
        const string TeamPage = "/entities/by-query?filter=kind=component,spec.owner=team-kept&limit=20";

        var first = await api.GetAsync(TeamPage);
        var again = await api.GetAsync(TeamPage);
        await UpsertAsync(app.Factory, "kept-b", "team-kept");
        var afterWrite = await api.GetAsync(TeamPage);

        Assert.Equal(["kept-a"], first.ItemNames());
        Assert.Equal(first.Json.GetRawText(), again.Json.GetRawText());
        Assert.Equal("application/json", again.MediaType);
        Assert.Equal(["kept-a", "kept-b"], afterWrite.ItemNames().Order(StringComparer.Ordinal));
        Assert.Equal(2, afterWrite.Json.GetProperty("totalItems").GetInt32());
    }

    [Fact]
    public async Task An_entity_changed_by_another_replica_is_answered_changed_at_once()
    {
        using var api = Api();
        await UpsertAsync(app.Factory, "kept-c", "team-c");
        var before = await api.GetAsync("/entities/by-name/component/default/kept-c");
        Assert.Equal(before.Json.GetRawText(), (await api.GetAsync("/entities/by-name/component/default/kept-c")).Json.GetRawText());

        // A second gateway on the same database, as another replica behind the same load balancer.
        await using var replica = new PortalAppFactory(app.ConnectionString, new Dictionary<string, string?> { ["Catalog:Locations:RefreshInterval"] = "00:00:00" });
        await UpsertAsync(replica, "kept-c", "team-c", description: "changed on another replica");
        var after = await api.GetAsync("/entities/by-name/component/default/kept-c");
        var facets = await api.GetAsync("/entity-facets?facet=metadata.description&filter=metadata.name=kept-c");

        Assert.Equal("first", Description(before));
        Assert.Equal("changed on another replica", Description(after));
        Assert.Equal("changed on another replica", facets.Json.GetProperty("facets").GetProperty("metadata.description")[0].GetProperty("value").GetString());
    }

    [Fact]
    public async Task A_kept_answer_is_sent_without_reading_the_entity_again_until_the_version_moves()
    {
        using var api = Api();
        await UpsertAsync(app.Factory, "kept-f", "team-f");

        // The first request of a URL only shows it valid (it reaches the database after the route has checked it);
        // the second is kept.
        var first = await api.GetAsync("/entities/by-name/component/default/kept-f");
        Assert.Equal(first.Json.GetRawText(), (await api.GetAsync("/entities/by-name/component/default/kept-f")).Json.GetRawText());

        // A row changed behind the catalog's back (no catalog write, so no new version) is not read again: the answer
        // kept is sent. Every catalog write bumps the version, as the next one does here.
        await using (var connection = new Npgsql.NpgsqlConnection(app.ConnectionString))
        {
            await connection.OpenAsync(Cancellation);
            await using var command = new Npgsql.NpgsqlCommand(
                """UPDATE catalog.entities SET document = jsonb_set(document, '{metadata,description}', '"behind its back"') WHERE ref = 'component:default/kept-f'""", connection);
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Cancellation));
        }

        var kept = await api.GetAsync("/entities/by-name/component/default/kept-f");
        await UpsertAsync(app.Factory, "kept-g", "team-f");
        var afterWrite = await api.GetAsync("/entities/by-name/component/default/kept-f");

        Assert.Equal("first", Description(first));
        Assert.Equal(first.Json.GetRawText(), kept.Json.GetRawText());
        Assert.Equal("behind its back", Description(afterWrite));
    }

    [Fact]
    public async Task After_a_write_a_url_answered_before_is_kept_from_its_first_request()
    {
        using var api = Api();
        await UpsertAsync(app.Factory, "kept-i", "team-i");
        await UpsertAsync(app.Factory, "kept-j", "team-i");
        const string I = "/entities/by-name/component/default/kept-i", J = "/entities/by-name/component/default/kept-j";
        foreach (var url in new[] { I, I, J, J })
        {
            await api.GetAsync(url);
        }

        // A write moves the version: the next request of each URL is made anew, and, the URL being known as a valid
        // request, kept at once. The row changed behind the catalog's back after it shows which: a third request made
        // anew would read it.
        await UpsertAsync(app.Factory, "kept-k", "team-i");
        await api.GetAsync(I);
        var madeAnew = await api.GetAsync(J);
        await using (var connection = new Npgsql.NpgsqlConnection(app.ConnectionString))
        {
            await connection.OpenAsync(Cancellation);
            await using var command = new Npgsql.NpgsqlCommand(
                """UPDATE catalog.entities SET document = jsonb_set(document, '{metadata,description}', '"behind its back"') WHERE ref = 'component:default/kept-j'""", connection);
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Cancellation));
        }

        var kept = await api.GetAsync(J);

        Assert.Equal("first", Description(madeAnew));
        Assert.Equal(madeAnew.Json.GetRawText(), kept.Json.GetRawText());
    }

    [Fact]
    public async Task Many_callers_asking_at_once_after_a_write_all_get_the_new_answer()
    {
        using var api = Api();
        await UpsertAsync(app.Factory, "kept-l", "team-l");
        const string TeamPage = "/entities/by-query?filter=kind=component,spec.owner=team-l&limit=20";
        await api.GetAsync(TeamPage);
        await api.GetAsync(TeamPage);

        // After the write, one of them makes the answer and the others wait for it: each must get the whole of it.
        await UpsertAsync(app.Factory, "kept-m", "team-l");
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var caller = Api();
            return await caller.GetAsync(TeamPage);
        }));

        Assert.All(answers, answer =>
        {
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.Equal("application/json", answer.MediaType);
            Assert.Equal(["kept-l", "kept-m"], answer.ItemNames().Order(StringComparer.Ordinal));
            Assert.Equal(2, answer.Json.GetProperty("totalItems").GetInt32());
        });
    }

    [Fact]
    public async Task An_encoded_question_mark_in_the_path_is_not_the_start_of_a_query()
    {
        using var api = Api();
        await UpsertAsync(app.Factory, "kept-h", "team-h");
        var uid = (await api.GetAsync("/entities/by-name/component/default/kept-h")).Json.GetProperty("metadata").GetProperty("uid").GetString();
        await api.GetAsync($"/entities/by-uid/{uid}?x");
        var kept = await api.GetAsync($"/entities/by-uid/{uid}?x");

        var encoded = await api.GetAsync($"/entities/by-uid/{uid}%3Fx");

        Assert.Equal(HttpStatusCode.OK, kept.Status);
        Assert.Equal(HttpStatusCode.NotFound, encoded.Status); // "<uid>?x" is no uid
    }

    [Fact]
    public async Task Answers_differ_by_every_parameter_and_a_miss_is_not_kept()
    {
        using var api = Api();
        await UpsertAsync(app.Factory, "kept-d", "team-d");

        var whole = await api.GetAsync("/entities/by-name/component/default/kept-d");
        var namesOnly = await api.GetAsync("/entities/by-query?filter=metadata.name=kept-d&fields=metadata.name");
        var everything = await api.GetAsync("/entities/by-query?filter=metadata.name=kept-d");
        // Asked for twice: a kept miss would be sent on the second request and on every one after.
        await api.GetAsync("/entities/by-name/component/default/kept-e");
        var missing = await api.GetAsync("/entities/by-name/component/default/kept-e");
        await UpsertAsync(app.Factory, "kept-e", "team-d");
        var found = await api.GetAsync("/entities/by-name/component/default/kept-e");

        Assert.Equal("team-d", whole.Json.GetProperty("spec").GetProperty("owner").GetString());
        Assert.False(namesOnly.Json.GetProperty("items")[0].TryGetProperty("spec", out _), "fields=metadata.name leaves out the spec");
        Assert.True(everything.Json.GetProperty("items")[0].TryGetProperty("spec", out _));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal(HttpStatusCode.OK, found.Status);
    }
}

/// <summary><c>BackstageApi:AnswerCacheMegabytes</c>: 0 turns the cache off; a value out of range stops the start, naming it.</summary>
public sealed class Configuring_the_answer_cache
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Turned_off_answers_still_follow_every_write()
    {
        var server = await PostgresServer.GetAsync();
        await using var app = new PortalAppFactory(await server.CreateDatabaseAsync("answers-off"), new Dictionary<string, string?> { ["BackstageApi:AnswerCacheMegabytes"] = "0" });
        using var api = new CatalogApiClient(app.CreateClient());
        var entities = app.Services.GetRequiredService<EntityService>();
        await entities.UpsertAsync((JsonObject)JsonNode.Parse("""{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"off-team"},"spec":{"type":"team","children":[]}}""")!, null, "test", Cancellation);

        var first = await api.GetAsync("/entities/by-name/group/default/off-team");
        await entities.UpsertAsync((JsonObject)JsonNode.Parse("""{"apiVersion":"backstage.io/v1alpha1","kind":"Group","metadata":{"name":"off-team","title":"Off"},"spec":{"type":"team","children":[]}}""")!, null, "test", Cancellation);
        var second = await api.GetAsync("/entities/by-name/group/default/off-team");

        Assert.False(first.Json.GetProperty("metadata").TryGetProperty("title", out _));
        Assert.Equal("Off", second.Json.GetProperty("metadata").GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("16385")]
    public async Task Out_of_range_stops_the_start_naming_the_setting(string megabytes)
    {
        var server = await PostgresServer.GetAsync();
        await using var app = new PortalAppFactory(await server.CreateDatabaseAsync("answers-bad"), new Dictionary<string, string?> { ["BackstageApi:AnswerCacheMegabytes"] = megabytes });

        var failure = Assert.Throws<InvalidOperationException>(() => app.CreateClient());

        Assert.Contains($"BackstageApi:AnswerCacheMegabytes must be between 0 (off) and 16384; it is {megabytes}", failure.Message, StringComparison.Ordinal);
    }
}
