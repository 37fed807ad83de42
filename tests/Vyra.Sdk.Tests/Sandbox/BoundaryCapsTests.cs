using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>Sizes crossing the sandbox wall have caps the host sets: results, arguments and host_log messages.</summary>
public class BoundaryCapsTests
{
    // "give" returns whatever (ptr << 32 | len) it is given: the guest claims a value of any size.
    private const string GiveWat = """
        (module
          (memory (export "memory") 2)
          (data (i32.const 0) "héllo wörld")
          (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
          (func (export "give") (param $packed i64) (result i64) (local.get $packed))
          (func (export "len") (param i32 i32) (result i32) (local.get 1)))
        """;

    private static readonly string GiveManifest = TestPlugin.Manifest(exports: """
        [{ "name": "give", "args": [{ "name": "packed", "type": "i64" }], "returns": "string" },
         { "name": "len", "args": [{ "name": "s", "type": "string" }], "returns": "i32" }]
        """);

    [Fact]
    public async Task A_1_1_GB_string_result_is_an_abi_error_naming_the_cap_not_an_out_of_memory()
    {
        using var plugin = TestPlugin.FromWat(GiveWat, GiveManifest);
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        var ex = await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("give", Args(("packed", 1_100_000_000L))));
        Assert.Contains("1100000000 bytes", ex.Message);
        Assert.Contains("MaxMemoryValueBytes", ex.Message);
        Assert.IsType<AbiViolationException>(ex.InnerException);
        Assert.Equal("héllo", (await runtime.CallAsync("give", Args(("packed", 6L))))["result"]);
    }

    [Fact]
    public async Task The_cap_is_the_hosts_and_covers_arguments_too()
    {
        using var plugin = TestPlugin.FromWat(GiveWat, GiveManifest);
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { MaxMemoryValueBytes = 8 });
        await runtime.StartAsync();

        var result = await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("give", Args(("packed", 12L))));
        Assert.Contains("MaxMemoryValueBytes = 8", result.Message);
        var argument = await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("len", Args(("s", "123456789"))));
        Assert.Contains("argument 's'", argument.Message);
        Assert.Equal(8, await CallInt(runtime, "len", Args(("s", "12345678"))));
    }

    private const string LogWat = """
        (module
          (import "vyra" "host_log" (func $log (param i32 i32)))
          (memory (export "memory") 1600)
          (data (i32.const 0) "héllo")
          ;; Logs len bytes from address 0: zeros past the data, all valid UTF-8.
          (func (export "log") (param $len i32) (call $log (i32.const 0) (local.get $len))))
        """;

    private static readonly string LogManifest = TestPlugin.Manifest(exports: """[{ "name": "log", "args": [{ "name": "len", "type": "i32" }] }]""");

    [Fact]
    public async Task A_100_MB_host_log_message_is_truncated_to_the_cap_and_marked()
    {
        using var plugin = TestPlugin.FromWat(LogWat, LogManifest);
        var host = new TestHost();
        await using var runtime = plugin.Create(host);
        await runtime.StartAsync();

        await runtime.CallAsync("log", Args(("len", 100_000_000)));
        var message = Assert.Single(host.Logged);
        Assert.StartsWith("héllo", message);
        Assert.EndsWith($"… [truncated, {100_000_000 - 64 * 1024} bytes]", message);
        Assert.True(message.Length < 64 * 1024 + 64, $"{message.Length} characters logged");
    }

    [Fact]
    public async Task Truncation_never_splits_a_character()
    {
        using var plugin = TestPlugin.FromWat(LogWat, LogManifest);
        var host = new TestHost();
        await using var runtime = plugin.Create(host, new PluginRuntimeOptions { MaxLogMessageBytes = 2 });
        await runtime.StartAsync();

        await runtime.CallAsync("log", Args(("len", 6))); // "h" + "é" (2 bytes) + "llo": the cut falls inside "é"
        Assert.Equal("h… [truncated, 5 bytes]", Assert.Single(host.Logged));
    }

    [Fact]
    public async Task A_host_log_outside_guest_memory_is_still_an_abi_error_even_when_it_would_be_truncated()
    {
        using var plugin = TestPlugin.FromWat(LogWat, LogManifest);
        await using var runtime = plugin.Create(new TestHost());
        await runtime.StartAsync();
        await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("log", Args(("len", int.MaxValue))));
    }
}
