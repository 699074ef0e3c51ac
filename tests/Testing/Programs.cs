using System.Diagnostics;

namespace Portal.Testing;

/// <summary>Runs a program a test sets its scene with (git, chiefly), and fails the test with its error when it fails.</summary>
public static class Programs
{
    /// <summary>Runs <c>git</c> in <paramref name="directory"/>; its standard output.</summary>
    public static string Git(string directory, params string[] arguments) => Run(directory, "git", arguments);

    /// <summary>Runs <paramref name="program"/> in <paramref name="directory"/> with no input; its standard output.</summary>
    public static string Run(string directory, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        // Both streams read at once: a program that fills one pipe while the other is read would never end.
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Result}");
    }
}
