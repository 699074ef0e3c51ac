using System.Diagnostics;

namespace Portal.Catalog.Tests;

/// <summary>Polls a condition that background work makes true, for a bounded time, instead of sleeping blindly.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Reads <paramref name="probe"/> until <paramref name="done"/> holds, and returns the last value read; fails the test after <paramref name="timeout"/>.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            Assert.True(clock.Elapsed < timeout, $"{what} did not happen within {timeout.TotalSeconds} s; last value: {value}");
            await Task.Delay(Interval, TestContext.Current.CancellationToken);
        }
    }
}
