using System.Diagnostics;
using System.Text.Json;
using Portal.Testing;

namespace Portal.Gateway.Tests.Hosting;

public sealed class Starting_from_another_folder
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_published_gateway_started_from_any_folder_reads_the_appsettings_beside_it()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateDatabaseAsync("elsewhere");
        var elsewhere = Directory.CreateTempSubdirectory("portal-elsewhere-");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = elsewhere.FullName };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Portal.Gateway.dll"));
        start.ArgumentList.Add("--urls=http://127.0.0.1:0");
        start.Environment["ConnectionStrings__Portal"] = connectionString;
        start.Environment["Catalog__Locations__RefreshInterval"] = "00:00:00";
        start.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        start.Environment.Remove("DOTNET_ENVIRONMENT");
        start.Environment.Remove("ASPNETCORE_CONTENTROOT");
        start.Environment.Remove("DOTNET_CONTENTROOT");

        using var process = Process.Start(start)!;
        var lines = new List<string>();
        try
        {
            // The appsettings.json beside the gateway asks for JSON console logs; without it each line is plain text.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
            deadline.CancelAfter(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                lines.Add(line);
                if (line.Contains("Portal is listening on", StringComparison.Ordinal))
                {
                    break;
                }
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(Cancellation);
            elsewhere.Delete(recursive: true);
        }

        var listening = lines.LastOrDefault(l => l.Contains("Portal is listening on", StringComparison.Ordinal));
        Assert.True(listening is not null, "the gateway did not start: " + string.Join('\n', lines) + await process.StandardError.ReadToEndAsync(Cancellation));
        using var entry = JsonDocument.Parse(listening);
        Assert.Equal("Information", entry.RootElement.GetProperty("LogLevel").GetString());

        // appsettings.json keeps EF Core's SQL statements at Warning: none of them is logged at start-up.
        Assert.DoesNotContain(lines, l => l.Contains("Executed DbCommand", StringComparison.Ordinal));
    }
}
