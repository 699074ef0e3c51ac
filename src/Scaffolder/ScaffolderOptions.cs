namespace Portal.Scaffolder;

/// <summary>Settings of the scaffolder, bound from the <c>Scaffolder</c> configuration section.</summary>
public sealed class ScaffolderOptions
{
    public const string Section = "Scaffolder";
}
