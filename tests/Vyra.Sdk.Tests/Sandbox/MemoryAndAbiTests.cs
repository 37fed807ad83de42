using Vyra.Sdk;
using Xunit;
using static Vyra.Sdk.Tests.Sandbox.SandboxChecks;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>Guests that grab memory, return impossible memory values, or hand the host bad pointers.</summary>
public class MemoryAndAbiTests
{
    private const int PageSize = 65536;

    private const string GrowBombWat = """
        (module
          (memory (export "memory") 1)
          ;; Grows one page at a time until memory.grow answers -1; returns how many pages it got.
          (func (export "grow_until_refused") (result i32)
            (local $grown i32)
            (block $refused
              (loop $more
                (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                (local.set $grown (i32.add (local.get $grown) (i32.const 1)))
                (br $more)))
            (local.get $grown))
          ;; What a careful guest does: check for -1 and abort.
          (func (export "bomb")
            (block $refused
              (loop $more
                (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
                (br $more)))
            unreachable)
          ;; One growth of $pages pages; returns memory.grow's answer (old size, or -1).
          (func (export "grow") (param $pages i32) (result i32) (memory.grow (local.get $pages)))
          ;; What a careless guest does: ignore -1 and write where the new page should have been.
          (func (export "careless_bomb")
            (local $end i32)
            (loop $more
              (local.set $end (i32.mul (memory.size) (i32.const 65536)))
              (drop (memory.grow (i32.const 1)))
              (i32.store (local.get $end) (i32.const 7))
              (br $more)))
          (func (export "pages") (result i32) (memory.size))
          (func (export "divide") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
          (func (export "ok") (result i32) (i32.const 42)))
        """;

    [Fact]
    public async Task Memory_grow_bomb_grow_returns_minus_one_inside_the_guest_at_the_manifest_cap()
    {
        using var plugin = TestPlugin.FromWat(GrowBombWat, TestPlugin.Manifest(limits: """{ "memory_mb": 2 }"""));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        // 2 MiB = 32 pages; the module starts with 1, so exactly 31 growths succeed and the next is refused (-1, no trap).
        Assert.Equal(31, await CallInt(runtime, "grow_until_refused"));
        Assert.Equal(32, await CallInt(runtime, "pages"));
        Assert.Equal(0, await CallInt(runtime, "grow_until_refused"));
        Assert.Equal(42, await CallInt(runtime, "ok"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Memory_grow_bomb_one_huge_request_is_refused_with_minus_one()
    {
        using var plugin = TestPlugin.FromWat(GrowBombWat, TestPlugin.Manifest(limits: """{ "memory_mb": 2 }"""));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        Assert.Equal(-1, await CallInt(runtime, "grow", Args(("arg0", 65535)))); // 4 GiB
        Assert.Equal(-1, await CallInt(runtime, "grow", Args(("arg0", 32))));    // 33 pages > 32
        Assert.Equal(1, await CallInt(runtime, "grow", Args(("arg0", 31))));     // exactly the cap
        Assert.Equal(-1, await CallInt(runtime, "grow", Args(("arg0", 1))));
        Assert.Equal(32, await CallInt(runtime, "pages"));
    }

    [Fact]
    public async Task Memory_grow_bomb_options_override_the_manifest_cap()
    {
        using var plugin = TestPlugin.FromWat(GrowBombWat, TestPlugin.Manifest(limits: """{ "memory_mb": 64 }"""));
        await using var runtime = plugin.Create(options: new PluginRuntimeOptions { MemoryLimitBytes = 1024 * 1024 });
        await runtime.StartAsync();

        Assert.Equal(15, await CallInt(runtime, "grow_until_refused"));
        Assert.Equal(16, await CallInt(runtime, "pages"));
    }

    [Fact]
    public async Task Memory_grow_bomb_trap_after_a_refused_growth_is_reported_as_memory_limit()
    {
        using var plugin = TestPlugin.FromWat(GrowBombWat, TestPlugin.Manifest(limits: """{ "memory_mb": 4 }"""));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        var ex = await FailsWithin(PluginErrorKind.MemoryLimit, TimeSpan.FromSeconds(5), async () => await runtime.CallAsync("bomb"));
        Assert.Contains("memory", ex.Message);
        Assert.Equal(64, await CallInt(runtime, "pages")); // the cap held
        Assert.Equal(42, await CallInt(runtime, "ok"));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Memory_grow_bomb_careless_guest_writing_past_the_cap_is_reported_as_memory_limit()
    {
        using var plugin = TestPlugin.FromWat(GrowBombWat, TestPlugin.Manifest(limits: """{ "memory_mb": 2 }"""));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        await FailsWith(PluginErrorKind.MemoryLimit, async () => await runtime.CallAsync("careless_bomb"));
        Assert.Equal(32, await CallInt(runtime, "pages"));
        Assert.Equal(42, await CallInt(runtime, "ok"));
    }

    [Fact]
    public async Task Memory_grow_bomb_in_big_chunks_is_refused_and_the_trap_that_follows_is_reported()
    {
        // 16-page requests from 49 of 64 pages: refused while 15 pages are still free. The kernel cannot see a refused
        // growth (Wasmtime reports none), only a memory at its cap, so this trap may be reported as a plain Trap.
        using var plugin = TestPlugin.FromWat(GrowBombWat, TestPlugin.Manifest(limits: """{ "memory_mb": 4 }"""));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        for (var i = 0; i < 3; i++) Assert.Equal(1 + 16 * i, await CallInt(runtime, "grow", Args(("arg0", 16))));
        Assert.Equal(-1, await CallInt(runtime, "grow", Args(("arg0", 16))));
        var ex = await Assert.ThrowsAsync<PluginCallException>(async () => await runtime.CallAsync("bomb"));
        Assert.True(ex.Kind is PluginErrorKind.MemoryLimit or PluginErrorKind.Trap, ex.Kind.ToString());
        Assert.Equal(64, await CallInt(runtime, "pages"));
        Assert.Equal(42, await CallInt(runtime, "ok"));
    }

    [Fact]
    public async Task Memory_at_its_cap_a_division_by_zero_is_still_a_trap_not_a_memory_limit()
    {
        // A division by zero cannot be the result of a refused memory.grow: it can be told apart, so it must stay a Trap.
        using var plugin = TestPlugin.FromWat(GrowBombWat, TestPlugin.Manifest(limits: """{ "memory_mb": 2 }"""));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        Assert.Equal(31, await CallInt(runtime, "grow_until_refused"));
        await FailsWith(PluginErrorKind.Trap, async () => await runtime.CallAsync("divide", Args(("arg0", 1), ("arg1", 0))));
    }

    // ---- memory values the guest returns ----------------------------------------------------------------------

    private const string ReturnsWat = """
        (module
          (memory (export "memory") 1)
          (global $next (mut i32) (i32.const 1024))
          (data (i32.const 16) "\ff\fe\fd")
          (data (i32.const 32) "{not json")
          (func (export "vyra_alloc") (param $len i32) (result i32) (global.get $next))
          ;; Returns whatever (ptr << 32) | len it is given.
          (func (export "give") (param $packed i64) (result i64) (local.get $packed))
          (func (export "give_json") (param $packed i64) (result i64) (local.get $packed))
          (func (export "ok") (result i32) (i32.const 42)))
        """;

    private const string ReturnsManifest = """
        {
          "id": "hostile",
          "exports": [
            { "name": "give", "args": [{ "name": "packed", "type": "i64" }], "returns": "string" },
            { "name": "give_json", "args": [{ "name": "packed", "type": "i64" }], "returns": "json" },
            { "name": "ok", "args": [], "returns": "i32" }
          ]
        }
        """;

    private static long Pack(long pointer, long length) => (pointer << 32) | (length & 0xFFFF_FFFF);

    public static TheoryData<long, string> ImpossibleResults => new()
    {
        { Pack(0, 0x7FFF_FFFF), "a 2 GiB length from a 64 KiB memory" },
        { Pack(0, 0xFFFF_FFFF), "length -1 (u32 max)" },
        { Pack(0, 0x8000_0000), "length int.MinValue" },
        { Pack(0, PageSize + 1), "one byte more than the memory" },
        { Pack(PageSize - 4, 8), "straddles the end of memory" },
        { Pack(PageSize, 1), "pointer at the end of memory" },
        { Pack(0x7FFF_FFFF, 1), "pointer far past memory" },
        { Pack(0xFFFF_FFFF, 1), "pointer -1" },
        { Pack(16, 3), "bytes that are not UTF-8" },
    };

    [Theory]
    [MemberData(nameof(ImpossibleResults))]
    public async Task Huge_or_out_of_bounds_returned_length_is_an_abi_violation(long packed, string why)
    {
        using var plugin = TestPlugin.FromWat(ReturnsWat, ReturnsManifest);
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        var ex = await FailsWithin(PluginErrorKind.Abi, TimeSpan.FromSeconds(5), async () => await runtime.CallAsync("give", Args(("packed", packed))));
        Assert.True(ex.InnerException is AbiViolationException, $"{why}: {ex.InnerException}");
        Assert.Equal(42, await CallInt(runtime, "ok"));
        Assert.Equal("", (await runtime.CallAsync("give", Args(("packed", 0L))))["result"]);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Returned_json_that_is_not_json_is_an_abi_violation()
    {
        using var plugin = TestPlugin.FromWat(ReturnsWat, ReturnsManifest);
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("give_json", Args(("packed", Pack(32, 9)))));
        Assert.Equal(42, await CallInt(runtime, "ok"));
    }

    [Fact]
    public async Task Free_that_traps_fails_the_call_cleanly()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (memory (export "memory") 1)
              (data (i32.const 64) "result")
              (func (export "vyra_alloc") (param i32) (result i32) (i32.const 1024))
              (func (export "vyra_free") (param i32 i32) unreachable)
              (func (export "text") (result i64) (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 6)))
              (func (export "len") (param i32 i32) (result i32) (local.get 1)))
            """, TestPlugin.Manifest(exports: """
                [{ "name": "text", "args": [], "returns": "string" },
                 { "name": "len", "args": [{ "name": "s", "type": "string" }], "returns": "i32" }]
                """));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        // Freeing a result happens inside the call: a trap there fails the call.
        await FailsWith(PluginErrorKind.Trap, async () => await runtime.CallAsync("text"));
        // Freeing an argument happens after it: the buffer leaks, the result stands.
        Assert.Equal(5, await CallInt(runtime, "len", Args(("s", "hello"))));
        Assert.Equal(5, await CallInt(runtime, "len", Args(("s", "hello"))));
    }

    // ---- vyra_alloc that lies -----------------------------------------------------------------------------------

    private const string LyingAllocatorWat = """
        (module
          (memory (export "memory") 1)
          (global $answer (mut i32) (i32.const 1024))
          (global $calls (mut i32) (i32.const 0))
          ;; The allocator answers whatever set_alloc told it to.
          (func (export "vyra_alloc") (param $len i32) (result i32)
            (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
            (global.get $answer))
          (func (export "set_alloc") (param $p i32) (global.set $answer (local.get $p)))
          (func (export "alloc_calls") (result i32) (global.get $calls))
          ;; Sums the bytes of the string, so the test knows the host really copied them.
          (func (export "byte_sum") (param $p i32) (param $n i32) (result i32)
            (local $i i32) (local $sum i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $sum (i32.add (local.get $sum) (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (local.get $sum)))
        """;

    private const string LyingAllocatorManifest = """
        {
          "id": "hostile",
          "exports": [
            { "name": "set_alloc", "args": [{ "name": "p", "type": "i32" }], "returns": [] },
            { "name": "alloc_calls", "args": [], "returns": "i32" },
            { "name": "byte_sum", "args": [{ "name": "s", "type": "string" }], "returns": "i32" }
          ]
        }
        """;

    [Theory]
    [InlineData(0)]                  // "null" for a non-empty buffer
    [InlineData(-1)]                 // the usual failure value
    [InlineData(-8)]
    [InlineData(int.MinValue)]
    [InlineData(PageSize)]           // just past the end
    [InlineData(PageSize - 3)]       // the 5-byte string straddles the end
    [InlineData(0x7FFF_FFF0)]        // far outside
    public async Task Allocator_returning_garbage_pointers_is_an_abi_violation(int garbage)
    {
        using var plugin = TestPlugin.FromWat(LyingAllocatorWat, LyingAllocatorManifest);
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        await runtime.CallAsync("set_alloc", Args(("p", garbage)));
        var ex = await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("byte_sum", Args(("s", "hello"))));
        Assert.Contains("vyra_alloc", ex.Message);
        Assert.Equal(1, await CallInt(runtime, "alloc_calls"));

        // The same runtime works once the allocator behaves.
        await runtime.CallAsync("set_alloc", Args(("p", 2048)));
        Assert.Equal("hello"u8.ToArray().Sum(b => b), await CallInt(runtime, "byte_sum", Args(("s", "hello"))));
        await AssertHostHealthy();
    }

    [Fact]
    public async Task A_leaky_allocator_against_the_memory_cap_is_an_abi_violation_not_a_host_allocation()
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (memory (export "memory") 1)
              ;; A leaky bump allocator: grows memory for every request and never reuses it; -1 when growth is refused.
              (func (export "vyra_alloc") (param $len i32) (result i32)
                (local $old i32)
                (local.set $old (memory.grow (i32.add (i32.div_u (local.get $len) (i32.const 65536)) (i32.const 1))))
                (if (result i32) (i32.eq (local.get $old) (i32.const -1))
                  (then (i32.const -1))
                  (else (i32.mul (local.get $old) (i32.const 65536)))))
              (func (export "len") (param i32 i32) (result i32) (local.get 1))
              (func (export "pages") (result i32) (memory.size)))
            """, TestPlugin.Manifest(
                exports: """[{ "name": "len", "args": [{ "name": "s", "type": "string" }], "returns": "i32" }, { "name": "pages", "args": [], "returns": "i32" }]""",
                limits: """{ "memory_mb": 1 }"""));
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        var chunk = new string('x', 100_000); // 2 pages per call
        var accepted = 0;
        PluginCallException? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            try
            {
                Assert.Equal(chunk.Length, await CallInt(runtime, "len", Args(("s", chunk))));
                accepted++;
            }
            catch (PluginCallException ex)
            {
                refused = ex;
            }
        }
        Assert.Equal(7, accepted); // 1 + 7 × 2 = 15 pages; the 8th request would need 17 > 16
        Assert.NotNull(refused);
        Assert.Equal(PluginErrorKind.Abi, refused.Kind);
        Assert.Equal(15, await CallInt(runtime, "pages"));
        Assert.Equal(1, await CallInt(runtime, "len", Args(("s", "y")))); // a small request still fits one page
        await AssertHostHealthy();
    }

    // ---- bad pointers into host imports -------------------------------------------------------------------------

    private const string HostLogWat = """
        (module
          (import "vyra" "host_log" (func $log (param i32 i32)))
          (import "vyra" "host_emit_event" (func $emit (param i32 i32 i32 i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "hello")
          (data (i32.const 32) "\c3\28 bad \ff")
          (func (export "log") (param $p i32) (param $n i32) (call $log (local.get $p) (local.get $n)))
          (func (export "emit") (param $p i32) (param $n i32) (call $emit (i32.const 16) (i32.const 5) (local.get $p) (local.get $n)))
          (func (export "ok") (result i32) (i32.const 42)))
        """;

    [Theory]
    [InlineData(16, -1, "negative length")]
    [InlineData(16, int.MinValue, "length int.MinValue")]
    [InlineData(PageSize, 1, "pointer at the end of memory")]
    [InlineData(PageSize - 2, 5, "string straddles the end of memory")]
    [InlineData(0, PageSize + 1, "length past the end of memory")]
    [InlineData(-5, 1, "negative pointer")]
    [InlineData(int.MaxValue, int.MaxValue, "both huge")]
    [InlineData(32, 10, "invalid UTF-8")]
    public async Task Bad_pointer_or_length_into_host_log_is_an_abi_violation(int pointer, int length, string why)
    {
        var host = new TestHost();
        using var plugin = TestPlugin.FromWat(HostLogWat);
        await using var runtime = plugin.Create(host);
        await runtime.StartAsync();

        var ex = await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("log", Args(("arg0", pointer), ("arg1", length))));
        Assert.True(ex.Message.Contains("host_log"), $"{why}: {ex.Message}");
        Assert.Empty(host.Logged);

        await runtime.CallAsync("log", Args(("arg0", 16), ("arg1", 5)));
        Assert.Equal(["hello"], host.Logged);
        await AssertHostHealthy();
    }

    [Fact]
    public async Task Bad_pointer_into_host_emit_event_is_an_abi_violation()
    {
        using var plugin = TestPlugin.FromWat(HostLogWat);
        await using var runtime = plugin.Create(new TestHost());
        await runtime.StartAsync();

        await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("emit", Args(("arg0", PageSize - 1), ("arg1", 2))));
        await FailsWith(PluginErrorKind.Abi, async () => await runtime.CallAsync("emit", Args(("arg0", 32), ("arg1", 2))));
        await runtime.CallAsync("emit", Args(("arg0", 16), ("arg1", 5)));
        Assert.Equal(42, await CallInt(runtime, "ok"));
    }

    // ---- out-of-bounds access -------------------------------------------------------------------------------------

    [Theory]
    [InlineData("load_at", PageSize)]
    [InlineData("load_at", PageSize - 2)]   // an i32 that straddles the end
    [InlineData("load_at", -1)]             // 0xFFFFFFFF
    [InlineData("store_at", PageSize)]
    [InlineData("store_at", PageSize - 1)]
    [InlineData("store_at", int.MinValue)]
    public async Task Out_of_bounds_load_or_store_is_a_trap(string function, int address)
    {
        using var plugin = TestPlugin.FromWat("""
            (module
              (memory (export "memory") 1)
              (func (export "load_at") (param $a i32) (result i32) (i32.load (local.get $a)))
              (func (export "store_at") (param $a i32) (result i32) (i32.store (local.get $a) (i32.const 1)) (i32.const 0))
              (func (export "ok") (result i32) (i32.load (i32.const 100))))
            """);
        await using var runtime = plugin.Create();
        await runtime.StartAsync();

        var ex = await FailsWith(PluginErrorKind.Trap, async () => await runtime.CallAsync(function, Args(("arg0", address))));
        Assert.Contains("out of bounds", ex.Message);
        Assert.Equal(0, await CallInt(runtime, "load_at", Args(("arg0", PageSize - 4))));
        Assert.Equal(0, await CallInt(runtime, "ok"));
        await AssertHostHealthy();
    }
}
