using System.Text.Json.Nodes;
using Portal.Catalog.Entities;
using Portal.Catalog.Queries;
using Portal.Testing;

namespace Portal.Catalog.Tests.Queries;

/// <summary>
/// The gateway with 23 components whose sort fields are missing, empty or repeated: title missing, empty,
/// <c>t0</c>..<c>t2</c> or <c>u</c>; annotation <c>example.com/rank</c> missing, empty or a digit.
/// </summary>
public sealed class AwkwardSortValues : ModuleHost
{
    public const int Count = 23;

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var entities = Get<EntityService>();
        for (var i = 0; i < Count; i++)
        {
            var metadata = new JsonObject { ["name"] = $"paging-{i:00}", ["tags"] = new JsonArray("paging") };
            if (i % 4 != 0)
            {
                metadata["title"] = (i % 4) switch { 1 => "", 2 => $"t{i % 3}", _ => "u" };
            }

            if (i % 3 != 0)
            {
                metadata["annotations"] = new JsonObject { ["example.com/rank"] = i % 3 == 1 ? "" : $"{i * 7 % 5}" };
            }

            await entities.UpsertAsync(
                new JsonObject
                {
                    ["apiVersion"] = "backstage.io/v1alpha1",
                    ["kind"] = "Component",
                    ["metadata"] = metadata,
                    ["spec"] = new JsonObject { ["type"] = "service", ["lifecycle"] = i % 2 == 0 ? "production" : "experimental", ["owner"] = "team-paging" },
                },
                null,
                "api:test",
                CancellationToken.None);
        }
    }
}

public sealed class Paging_through_everything(AwkwardSortValues app) : IClassFixture<AwkwardSortValues>
{
    private const string Rank = "metadata.annotations.example.com/rank";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private EntityQueryService Queries => app.Get<EntityQueryService>();

    public static TheoryData<string, int> Orders => new()
    {
        { "", 4 },
        { "metadata.title", 4 },
        { "-metadata.title", 4 },
        { "-metadata.title", 1 },
        { $"-{Rank}", 3 },
        { $"-{Rank},metadata.title", 5 },
        { $"spec.lifecycle,-{Rank},-metadata.title", 2 },
        { "-spec.lifecycle,metadata.name", 7 },
        { "-metadata.description", 4 },
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public async Task Cursor_pages_visit_every_entity_once_in_the_order_of_one_big_page(string order, int limit)
    {
        var orders = order.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(o => o.StartsWith('-') ? new EntityOrder(o[1..], Descending: true) : new EntityOrder(o))
            .ToList();
        var filter = EntityFilter.Equal("metadata.tags", "paging");
        var whole = await Queries.QueryAsync(new EntityQuery { Filter = filter, Order = orders, Limit = 100 }, Cancellation);

        var seen = new List<CatalogEntity>();
        var page = await Queries.QueryAsync(new EntityQuery { Filter = filter, Order = orders, Limit = limit }, Cancellation);
        for (var pages = 1; ; pages++)
        {
            Assert.True(pages <= AwkwardSortValues.Count + 1, "paging did not end");
            Assert.InRange(page.Items.Count, 1, limit);
            seen.AddRange(page.Items);
            if (page.NextCursor is null)
            {
                break;
            }

            page = await Queries.QueryAsync(new EntityQuery { Cursor = page.NextCursor, Limit = limit }, Cancellation);
        }

        Assert.Equal(AwkwardSortValues.Count, whole.Items.Count);
        Assert.Equal(whole.Items.Select(e => e.Ref), seen.Select(e => e.Ref));
        Assert.Equal(AwkwardSortValues.Count, seen.Select(e => e.Ref).Distinct().Count());
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(InOrder(seen[i - 1], seen[i], orders), $"{seen[i - 1].Ref} came before {seen[i].Ref}");
        }
    }

    [Fact]
    public async Task A_cursor_taken_from_the_middle_of_a_page_resumes_right_after_that_item()
    {
        var orders = new List<EntityOrder> { new("metadata.title", Descending: true) };
        var whole = await Queries.QueryAsync(new EntityQuery { Filter = EntityFilter.Equal("metadata.tags", "paging"), Order = orders, Limit = 100 }, Cancellation);

        var rest = await Queries.QueryAsync(new EntityQuery { Cursor = whole.CursorAfter(9), Limit = 100 }, Cancellation);

        Assert.Equal(whole.Items.Skip(10).Select(e => e.Ref), rest.Items.Select(e => e.Ref));
    }

    /// <summary>
    /// The documented order: each field compared with missing and empty as equal (and first), then the ref. Values
    /// here are lower-case letters and digits, which sort the same in every collation.
    /// </summary>
    private static bool InOrder(CatalogEntity before, CatalogEntity after, IReadOnlyList<EntityOrder> orders)
    {
        foreach (var order in orders)
        {
            var comparison = string.CompareOrdinal(Value(before, order.Field), Value(after, order.Field));
            if (comparison != 0)
            {
                return order.Descending ? comparison > 0 : comparison < 0;
            }
        }

        return string.CompareOrdinal(before.Ref, after.Ref) < 0;
    }

    private static string Value(CatalogEntity entity, string field) => field switch
    {
        "metadata.title" => entity.Title ?? "",
        "metadata.name" => entity.Name,
        "metadata.description" => entity.Description ?? "",
        "spec.lifecycle" => entity.Lifecycle ?? "",
        Rank => entity.Descriptor!.Json["metadata"]?["annotations"]?["example.com/rank"]?.GetValue<string>() ?? "",
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, null),
    };
}
