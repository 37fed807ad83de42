using System.Diagnostics;
using System.Text.RegularExpressions;
using Vyra.Sdk;
using Wasmtime;

namespace Vyra.Cli.Tests;

/// <summary>
/// The guest side of the plugin bus in the C kit (vyra.h) and in <c>vyra new --template bus</c>, checked against the
/// ABI the bus fixes (docs/bus.md, "Guest imports"). No linker is needed: the header's declarations are read as text,
/// compiled to a wasm object by clang when it is installed, and the WAT scaffold is compiled by Wasmtime.
/// </summary>
public sealed partial class BusKitTests
{
    /// <summary>The guest imports of module "vyra": C name, import name, wasm parameters and result.</summary>
    private static readonly (string CName, string Import, string Parameters, string Result)[] BusImports =
    [
        ("vyra_log", "log", "i32 i32", ""),
        ("vyra_notify_ui", "notify_ui", "i32 i32 i32 i32", ""),
        ("vyra_publish", "publish", "i32 i32 i32 i32", ""),
        ("vyra_request", "request", "i32 i32 i32 i32", "i64"),
        ("vyra_subscribe", "subscribe", "i32 i32", ""),
        ("vyra_serve", "serve", "i32 i32", ""),
    ];

    /// <summary>The exports the bus calls: on_event(name: string, data: json), on_request(service: string, data: json) -> json.</summary>
    private static readonly (string Name, string Parameters, string Result)[] BusExports =
    [
        ("on_event", "i32 i32 i32 i32", ""),
        ("on_request", "i32 i32 i32 i32", "i64"),
    ];

    [GeneratedRegex(@"VYRA_IMPORT\((\w+)\)\s*\n\s*(\w+)\s+(\w+)\(([^)]*)\);")]
    private static partial Regex ImportDeclaration();

    /// <summary>The header as the tool ships it (the copy `vyra new --lang c` writes is pdk/c/vyra.h, embedded).</summary>
    private static string Header(TempFolder temp)
    {
        Assert.Equal(0, VyraTool.Run("new", "header-only", "--lang", "c", "-o", temp.Path).ExitCode);
        return File.ReadAllText(Path.Combine(temp.Path, "header-only", "1.0.0", "vyra.h"));
    }

    private static string WasmType(string cType)
    {
        var type = cType.Trim();
        if (type.Contains('*')) return "i32"; // a pointer is an i32 on wasm32
        var name = type.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return name switch
        {
            "int32_t" or "uint32_t" => "i32",
            "int64_t" or "uint64_t" => "i64",
            "void" => "",
            _ => throw new InvalidOperationException($"no wasm type for C type '{cType}'"),
        };
    }

    private static string Kinds(IEnumerable<ValueKind> kinds) => string.Join(' ', kinds.Select(k => k switch
    {
        ValueKind.Int32 => "i32",
        ValueKind.Int64 => "i64",
        ValueKind.Float32 => "f32",
        ValueKind.Float64 => "f64",
        _ => k.ToString(),
    }));

    [Fact]
    public void The_header_declares_every_bus_import_in_module_vyra_with_the_bus_abi()
    {
        using var temp = new TempFolder();
        var header = Header(temp);
        var declared = ImportDeclaration().Matches(header).ToDictionary(m => m.Groups[1].Value);

        foreach (var (cName, import, parameters, result) in BusImports)
        {
            Assert.True(declared.TryGetValue(import, out var match), $"vyra.h declares no VYRA_IMPORT({import})");
            Assert.Equal(cName, match.Groups[3].Value);
            Assert.Equal(result, WasmType(match.Groups[2].Value));
            var args = match.Groups[4].Value.Split(',').Select(WasmType);
            Assert.Equal(parameters, string.Join(' ', args));
        }
        // The import marker names module "vyra", which the kernel resolves like "env".
        Assert.Contains("#define VYRA_IMPORT(name) __attribute__((import_module(\"vyra\"), import_name(#name)))", header);
        Assert.Contains("VYRA_EXPORT(on_event) void on_event(const char *name, int32_t name_len, const char *data, int32_t data_len)", header);
        Assert.Contains("VYRA_EXPORT(on_request) int64_t on_request(const char *service, int32_t service_len, const char *data, int32_t data_len)", header);
        // Every import is in the header's documentation table too.
        foreach (var (cName, import, _, _) in BusImports) Assert.Matches($@"\*\s+{import}\s+{cName}\s", header);
    }

    [Fact]
    public void A_bus_wat_scaffold_imports_the_bus_abi_exports_its_handlers_and_asks_for_its_permissions()
    {
        using var temp = new TempFolder();
        var created = VyraTool.Run("new", "bus-wat", "--lang", "wat", "--template", "bus", "-o", temp.Path);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("publish_reading", created.Stdout);
        var dir = Path.Combine(temp.Path, "bus-wat", "1.0.0");

        using var engine = new Engine();
        using var module = Module.FromFile(engine, Path.Combine(dir, "logic.wasm"));
        AssertBusImports(module, ["log", "publish", "subscribe", "serve"]);
        AssertBusExports(module);

        var manifest = ManifestReader.ReadFile(Path.Combine(dir, "metadata.json"));
        Assert.Equal(["init", "publish_reading", "event_count"], manifest.Exports!.Select(e => e.Name));
        Assert.Equal(["log", "publish", "subscribe", "serve"], manifest.Imports!.Select(i => i.Name));
        Assert.Equal(
            [new InterfacePermission("publish", "local"), new InterfacePermission("subscribe", "local"), new InterfacePermission("server", "local")],
            manifest.Permissions!.Interfaces);
        // The module and the manifest agree on every declared export.
        foreach (var export in manifest.Exports!) Assert.Contains(module.Exports, e => e.Name == export.Name);
    }

    [Fact]
    public void The_json_report_names_the_template_and_basic_stays_the_default()
    {
        using var temp = new TempFolder();
        var bus = VyraTool.Run("new", "bus-json", "--lang", "wat", "-t", "bus", "-o", temp.Path, "--json");
        Assert.True(bus.ExitCode == 0, bus.ToString());
        Assert.Contains("\"template\":\"bus\"", bus.Stdout.Replace(" ", ""));
        var basic = VyraTool.Run("new", "basic-json", "--lang", "wat", "-o", temp.Path, "--json");
        Assert.Contains("\"template\":\"basic\"", basic.Stdout.Replace(" ", ""));
        Assert.Equal(2, VyraTool.Run("new", "bad-template", "--lang", "wat", "-t", "zenoh", "-o", temp.Path).ExitCode);
    }

    [Fact]
    public void With_clang_the_header_and_the_bus_c_scaffold_compile_for_wasm32_with_the_bus_imports()
    {
        // clang alone is enough here: -c makes a relocatable wasm object, no linker (lld) is needed.
        if (OperatingSystem.IsWindows() || !OnPath("clang-14")) return;
        using var temp = new TempFolder();
        var created = VyraTool.Run("new", "bus-c", "--lang", "c", "--template", "bus", "-o", temp.Path);
        Assert.True(created.ExitCode == 0, created.ToString());
        var dir = Path.Combine(temp.Path, "bus-c", "1.0.0");
        var manifest = ManifestReader.ReadFile(Path.Combine(dir, "metadata.json"));
        Assert.Equal(["log", "publish", "subscribe", "serve"], manifest.Imports!.Select(i => i.Name));

        // Every bus import and both handler macros, used once.
        File.WriteAllText(Path.Combine(dir, "all.c"), """
            #define VYRA_IMPLEMENTATION
            #include "vyra.h"
            VYRA_EXPORT(run) int32_t run(void)
            {
                vyra_log_cstr("log");
                vyra_notify_ui_cstr("ui", "{}");
                vyra_publish_cstr("readings", "{\"v\":1}");
                vyra_subscribe_cstr("commands");
                vyra_serve_cstr("status");
                int64_t reply = vyra_request_cstr("status", "{}");
                int32_t len = vyra_unpack_len(reply);
                vyra_free(vyra_unpack_ptr(reply), len);
                vyra_host_log_cstr("host_log still works");
                return len;
            }
            VYRA_ON_EVENT(name, name_len, data, data_len)
            {
                if (vyra_text_equals(name, name_len, "commands")) vyra_log(data, data_len);
            }
            VYRA_ON_REQUEST(service, service_len, data, data_len)
            {
                (void)service; (void)service_len; (void)data; (void)data_len;
                return vyra_return_cstring("{\"ok\":true}");
            }
            """);
        foreach (var source in new[] { "logic.c", "all.c" })
        {
            var objectFile = Path.Combine(dir, Path.ChangeExtension(source, ".o"));
            Compile(dir, source, objectFile);
            using var engine = new Engine();
            using var module = Module.FromFile(engine, objectFile);
            AssertBusImports(module, source == "all.c" ? BusImports.Select(i => i.Import).ToArray() : ["log", "publish", "subscribe", "serve"]);
            AssertBusExports(module);
        }
    }

    private static void Compile(string dir, string source, string output)
    {
        var info = new ProcessStartInfo("clang-14", ["--target=wasm32", "-O2", "-nostdlib", "-Wall", "-Wextra", "-Werror", "-I.", "-c", "-o", output, source])
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var clang = Process.Start(info)!;
        var stdout = clang.StandardOutput.ReadToEndAsync();
        var errors = clang.StandardError.ReadToEnd();
        Assert.True(clang.WaitForExit(TimeSpan.FromSeconds(60)), "clang did not finish");
        Assert.True(clang.ExitCode == 0, $"clang {source}: {errors}{stdout.Result}");
    }

    /// <summary>The module imports exactly <paramref name="expected"/> of the bus imports, each from "vyra" with its ABI type.</summary>
    private static void AssertBusImports(Module module, string[] expected)
    {
        var bus = module.Imports.OfType<FunctionImport>().Where(i => BusImports.Any(b => b.Import == i.Name)).ToList();
        Assert.Equal(expected.Order(), bus.Select(i => i.Name).Order());
        foreach (var import in bus)
        {
            var abi = BusImports.Single(b => b.Import == import.Name);
            Assert.Equal("vyra", import.ModuleName);
            Assert.Equal(abi.Parameters, Kinds(import.Parameters));
            Assert.Equal(abi.Result, Kinds(import.Results));
        }
    }

    private static void AssertBusExports(Module module)
    {
        foreach (var (name, parameters, result) in BusExports)
        {
            var export = Assert.Single(module.Exports.OfType<FunctionExport>(), e => e.Name == name);
            Assert.Equal(parameters, Kinds(export.Parameters));
            Assert.Equal(result, Kinds(export.Results));
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));
}
