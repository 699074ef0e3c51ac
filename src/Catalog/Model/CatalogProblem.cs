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
}

public enum ProblemLevel
{
    Warning,
    Error,
}
