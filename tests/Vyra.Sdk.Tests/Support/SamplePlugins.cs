namespace Vyra.Sdk.Tests.Support;

/// <summary>Paths of the real sample plugins (copied next to the test assembly).</summary>
public static class SamplePlugins
{
    public static string Path(string id, string version = "1.0.0") =>
        System.IO.Path.Combine(AppContext.BaseDirectory, "plugins", id, version, "logic.wasm");

    public static string Counter => Path("counter-widget");

    public static string MathKit => Path("math-kit");

    public static string TextTools => Path("text-tools");

    public static Dictionary<string, object?> Args(params (string Key, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value);
}
