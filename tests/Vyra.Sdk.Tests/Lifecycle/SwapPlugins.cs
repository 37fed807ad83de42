namespace Vyra.Sdk.Tests.Lifecycle;

/// <summary>
/// Versions of one small plugin, written as pool folders (<c>&lt;pool&gt;/swapper/&lt;version&gt;/{logic.wat, metadata.json}</c>)
/// in a temp directory deleted on dispose. Each version answers <c>answer()</c> with its own number and keeps a counter
/// in a global; with <paramref name="State"/> it exports <c>vyra_snapshot</c> and <c>vyra_restore</c> of that counter.
/// </summary>
public sealed class SwapPool : IDisposable
{
    public const string Id = "swapper";

    public SwapPool()
    {
        Root = Path.Combine(Path.GetTempPath(), "vyra-tests", "swap-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    /// <summary>The pool folder.</summary>
    public string Root { get; }

    /// <summary>
    /// Writes version <paramref name="version"/> answering <paramref name="answer"/>. <paramref name="exports"/> replaces
    /// the manifest's exports; <paramref name="body"/> adds WAT inside the module; <paramref name="state"/> adds the state exports.
    /// </summary>
    public string Write(string version, int answer, bool state = true, string? exports = null, string body = "", string imports = "", string? wat = null)
    {
        var folder = Path.Combine(Root, Id, version);
        Directory.CreateDirectory(folder);
        var manifest = $$"""
            {"id":"{{Id}}","version":"{{version}}","exports":{{exports ?? DefaultExports}}}
            """;
        File.WriteAllText(Path.Combine(folder, "metadata.json"), manifest);
        var module = Path.Combine(folder, "logic.wat");
        File.WriteAllText(module, wat ?? Wat(answer, state, body, imports));
        return module;
    }

    public const string DefaultExports = """
        [{"name":"answer","args":[]},{"name":"increment","args":[{"name":"step","type":"i32"}]},{"name":"get_count","args":[]}]
        """;

    public static string Wat(int answer, bool state, string body = "", string imports = "") => $$"""
        (module
          {{imports}}
          (memory (export "memory") 1)
          (global $count (mut i32) (i32.const 0))
          (func (export "vyra_alloc") (param $len i32) (result i32) i32.const 1024)
          (func (export "answer") (result i32) i32.const {{answer}})
          (func (export "increment") (param $step i32) (result i32)
            global.get $count local.get $step i32.add global.set $count global.get $count)
          (func (export "get_count") (result i32) global.get $count)
          {{(state ? StateExports : "")}}
          {{body}})
        """;

    // The counter as 4 bytes at address 16: (16 << 32) | 4.
    private const string StateExports = """
        (func (export "vyra_snapshot") (result i64)
          i32.const 16 global.get $count i32.store
          i64.const 68719476740)
        (func (export "vyra_restore") (param $p i32) (param $len i32)
          local.get $p i32.load global.set $count)
        """;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
