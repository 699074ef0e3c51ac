using System.Globalization;

namespace Portal.Catalog.Model;

/// <summary>
/// An error or warning about a descriptor, naming where it is: the file (or location target), the document's
/// 1-based index in that file, and the field path (<c>metadata.name</c>, <c>spec.dependsOn[0]</c>), or null for the
/// whole document.
/// </summary>
public sealed record CatalogProblem(ProblemLevel Level, string Source, int? Document, string? Field, string Message)
{
    public override string ToString() =>
        $"{Source}{(Document is { } d ? $" document {d}" : "")}{(Field is null ? "" : $", {Field}")}: {Message}";

    /// <summary>
    /// What an answer says in place of the problems past the first <see cref="CatalogLimits.MaxProblemsReported"/>
    /// of <paramref name="total"/>.
    /// </summary>
    public static string LeftOut(int total) => string.Create(CultureInfo.InvariantCulture,
        $"{total - CatalogLimits.MaxProblemsReported:N0} more problems were left out: an answer lists the first {CatalogLimits.MaxProblemsReported} of {total:N0} (CatalogLimits.MaxProblemsReported).");

    /// <summary>
    /// An error message of the first <see cref="CatalogLimits.MaxProblemsInMessage"/> problems, counting the rest:
    /// "a; b; …; and 4,990 more".
    /// </summary>
    public static string Describe(IReadOnlyList<CatalogProblem> problems) =>
        string.Join("; ", problems.Take(CatalogLimits.MaxProblemsInMessage))
        + (problems.Count > CatalogLimits.MaxProblemsInMessage
            ? string.Create(CultureInfo.InvariantCulture, $"; and {problems.Count - CatalogLimits.MaxProblemsInMessage:N0} more")
            : "");
}

public enum ProblemLevel
{
    Warning,
    Error,
}
