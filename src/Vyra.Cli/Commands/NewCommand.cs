using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Vyra.Cli.Infrastructure;
using Wasmtime;

namespace Vyra.Cli.Commands;

/// <summary>
/// <c>vyra new &lt;id&gt; --lang wat|c [--template basic|bus]</c>: a self-contained plugin folder
/// <c>&lt;output&gt;/&lt;id&gt;/1.0.0/</c> with a manifest, the source and a build script. The <c>bus</c> template is a plugin
/// that subscribes, serves, publishes and handles <c>on_event</c> / <c>on_request</c>, with the manifest permissions it needs. WAT scaffolds also get <c>logic.wasm</c> (compiled with Wasmtime) so they run at once;
/// C scaffolds carry a copy of <c>vyra.h</c> and run after <c>./build.sh</c>.
/// </summary>
internal static partial class NewCommand
{
    private const string Version = "1.0.0";

    // Every file either scaffold writes: --force replaces them all, so no file of the other language survives.
    private static readonly string[] ScaffoldFiles = ["metadata.json", "logic.wat", "logic.wasm", "logic.c", "vyra.h", "build.sh"];

    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "The plugin id: lower-case letters, digits and '-', dotted forms allowed (e.g. my-plugin)." };
        var lang = new Option<string>("--lang", "-l") { Description = "The source language.", Required = true };
        lang.AcceptOnlyFromAmong("wat", "c");
        var template = new Option<string>("--template", "-t")
        {
            Description = "basic: scalar (and for C, string) exports; bus: a plugin on the plugin bus (subscribe, serve, publish, on_event, on_request) with its permissions.",
            DefaultValueFactory = _ => "basic",
        };
        template.AcceptOnlyFromAmong("basic", "bus");
        var output = new Option<string>("--output", "-o") { Description = "The pool folder to create the plugin in (default: the current folder).", DefaultValueFactory = _ => "." };
        var force = new Option<bool>("--force") { Description = "Overwrite the files of an existing scaffold." };
        var json = JsonMode.CreateOption();
        var command = new Command("new", "Scaffold a plugin folder <output>/<id>/1.0.0/ with metadata.json, the source (logic.wat or logic.c) and build.sh. " +
            "1 when the folder exists (without --force) or writing fails. " + ExitCodes.SeeTable)
        {
            id, lang, template, output, force, json,
        };
        command.SetAction((result, _) => CommandRunner.RunAsync(() => Task.FromResult(
            Run(result.GetRequiredValue(id), result.GetRequiredValue(lang), result.GetValue(template) ?? "basic", result.GetValue(output) ?? ".", result.GetValue(force), result.GetValue(json))), result.GetValue(json)));
        return command;
    }

    // \A and \z: '$' would also match before a final newline and let "nl\n" through.
    [GeneratedRegex(@"\A[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    private static int Run(string id, string lang, string template, string output, bool force, bool json)
    {
        // Everything is checked before anything is written.
        if (id.Length > 100 || !IdPattern().IsMatch(id))
        {
            throw new UsageException($"'{Printable(id)}' is not a plugin id: use lower-case letters, digits and '-', starting with a letter (dotted forms allowed), at most 100 characters");
        }
        if (File.Exists(output)) throw new UsageException($"--output '{output}' is a file, not a folder");
        var dir = Path.Combine(output, id, Version);
        if (File.Exists(dir)) throw new UsageException($"'{dir}' is a file, not a folder");
        var exists = Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any();
        if (exists && !force) throw new CommandFailedException($"'{dir}' already exists and is not empty (use --force to overwrite its files)");

        // The scaffold is written into a fresh folder beside the target and moved into place at the end, so a failure
        // (a full disk, a bad path) leaves no half-written plugin behind.
        var idDir = Path.GetDirectoryName(Path.GetFullPath(dir))!;
        var createdIdDir = !Directory.Exists(idDir);
        var staging = Path.Combine(idDir, $".{Version}.new-{Guid.NewGuid():N}");
        var files = new List<string>();
        try
        {
            Directory.CreateDirectory(staging);
            WriteScaffold(staging, id, lang, template == "bus", files);
            Install(staging, dir, idDir);
        }
        catch
        {
            TryDelete(staging);
            if (createdIdDir && Directory.Exists(idDir) && !Directory.EnumerateFileSystemEntries(idDir).Any()) TryDelete(idDir);
            throw;
        }

        var call = template == "bus" ? $"vyra call {Quote(dir)} publish_reading" : $"vyra call {Quote(dir)} add a=2 b=3";
        if (json)
        {
            JsonMode.Write(new Dictionary<string, object?>
            {
                ["id"] = id,
                ["version"] = Version,
                ["lang"] = lang,
                ["template"] = template,
                ["directory"] = Path.GetFullPath(dir),
                ["files"] = files,
                ["runnable"] = lang == "wat",
                ["build"] = Path.GetFullPath(Path.Combine(dir, "build.sh")),
                ["call"] = call,
            });
            return ExitCodes.Ok;
        }
        Report(dir, files, lang);
        if (template == "bus")
        {
            Console.Out.WriteLine("On the plugin bus: init subscribes to 'commands' and serves 'status'; publish_reading publishes on 'readings'.");
            Console.Out.WriteLine("metadata.json's permissions.interfaces allow exactly that on the host's own module (docs/bus.md).");
        }
        if (lang == "wat")
        {
            Console.Out.WriteLine($"It runs now:  {call}");
            Console.Out.WriteLine("After editing logic.wat, rebuild logic.wasm with ./build.sh (wat2wasm), or delete logic.wasm: Vyra also runs logic.wat directly.");
        }
        else
        {
            Console.Out.WriteLine($"logic.wasm is not built yet. Build it with {Quote(Path.Combine(dir, "build.sh"))}");
            Console.Out.WriteLine("(needs clang-14 and the wasm linker: apt-get install -y clang-14 lld-14), then:");
            Console.Out.WriteLine($"  {call}");
        }
        return ExitCodes.Ok;
    }

    private static void WriteScaffold(string dir, string id, string lang, bool bus, List<string> files)
    {
        void Write(string name, string text)
        {
            File.WriteAllText(Path.Combine(dir, name), text.ReplaceLineEndings("\n"));
            files.Add(name);
        }

        if (lang == "wat")
        {
            Write("metadata.json", bus ? BusManifest(id, "wat") : WatManifest(id));
            var wat = bus ? BusWatSource(id) : WatSource(id);
            Write("logic.wat", wat);
            File.WriteAllBytes(Path.Combine(dir, "logic.wasm"), Module.ConvertText(wat));
            files.Add("logic.wasm");
            Write("build.sh", WatBuildScript(id));
        }
        else
        {
            Write("metadata.json", bus ? BusManifest(id, "c") : CManifest(id));
            Write("logic.c", bus ? BusCSource(id) : CSource(id));
            Write("vyra.h", Header());
            Write("build.sh", CBuildScript(id));
        }
        MakeExecutable(Path.Combine(dir, "build.sh"));
    }

    /// <summary>
    /// Moves the staged scaffold to <paramref name="dir"/>. An existing folder (--force) is renamed aside first; the
    /// files the user added there (anything that is not a scaffold file) move into the new folder, the old scaffold
    /// files go, and when the swap fails the old folder is put back.
    /// </summary>
    private static void Install(string staging, string dir, string idDir)
    {
        if (!Directory.Exists(dir))
        {
            Directory.Move(staging, dir);
            return;
        }
        var previous = Path.Combine(idDir, $".{Version}.old-{Guid.NewGuid():N}");
        Directory.Move(dir, previous);
        try
        {
            Directory.Move(staging, dir);
        }
        catch
        {
            Directory.Move(previous, dir);
            throw;
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(previous).ToList())
        {
            var name = Path.GetFileName(entry);
            if (ScaffoldFiles.Contains(name, StringComparer.Ordinal)) continue;
            var target = Path.Combine(dir, name);
            if (Directory.Exists(entry)) Directory.Move(entry, target);
            else File.Move(entry, target);
        }
        TryDelete(previous);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the error that brought us here is the one to report.
        }
    }

    /// <summary>The id as it can be shown on one line (control characters escaped).</summary>
    private static string Printable(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    private static void Report(string dir, List<string> files, string lang)
    {
        Console.Out.WriteLine($"created {dir}{Path.DirectorySeparatorChar}");
        foreach (var file in files) Console.Out.WriteLine(file == "logic.wasm" && lang == "wat" ? "  logic.wasm (compiled from logic.wat with Wasmtime)" : $"  {file}");
    }

    private static string Quote(string path) => path.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '$') ? $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'" : path;

    private static void MakeExecutable(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    private static string Title(string id) =>
        string.Join(' ', id.Split('-', '.').Where(w => w.Length > 0).Select(w => char.ToUpper(w[0], CultureInfo.InvariantCulture) + w[1..]));

    private static string Header()
    {
        using var stream = typeof(NewCommand).Assembly.GetManifestResourceStream("Vyra.Cli.vyra.h")
            ?? throw new InvalidOperationException("the embedded vyra.h is missing from the vyra tool");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Limits => """
          "entry_points": {
            "backend": {
              "runtime_limits": { "memory_mb": 16, "timeout_ms": 1000 }
            }
          }
        """;

    private static string WatManifest(string id) => $$"""
        {
          "id": "{{id}}",
          "version": "{{Version}}",
          "name": "{{Title(id)}}",
          "description": "A VYRA plugin in WebAssembly text: i32 in, i32 out, state in a wasm global.",
          "exports": [
            {
              "name": "init",
              "description": "Set the running total to start (runs at start with initial_state).",
              "args": [{ "name": "start", "type": "i32" }],
              "returns": "i32"
            },
            {
              "name": "add",
              "description": "a + b (wraps modulo 2^32).",
              "args": [{ "name": "a", "type": "i32" }, { "name": "b", "type": "i32" }],
              "returns": "i32"
            },
            {
              "name": "accumulate",
              "description": "Add value to the running total and return the new total.",
              "args": [{ "name": "value", "type": "i32" }],
              "returns": "i32"
            }
          ],
          "initial_state": {
            "start": { "type": "i32", "default": 0 }
          },
        {{Limits}}
        }

        """;

    private static string WatSource(string id) => $"""
        ;; {id} {Version} -- scaffolded by `vyra new {id} --lang wat`.
        ;;
        ;; Every export takes and returns i32; the running total lives in a wasm global.
        ;; Declare each export in metadata.json ("args" and "returns"): `vyra inspect` checks that they match.
        ;; Rebuild logic.wasm after editing: ./build.sh
        (module
          (global $total (mut i32) (i32.const 0))

          ;; init(start) -> start : runs at start with the initial_state ("start").
          (func (export "init") (param $start i32) (result i32)
            (global.set $total (local.get $start))
            (global.get $total))

          ;; add(a, b) -> a + b
          (func (export "add") (param $a i32) (param $b i32) (result i32)
            (i32.add (local.get $a) (local.get $b)))

          ;; accumulate(value) -> the new running total
          (func (export "accumulate") (param $value i32) (result i32)
            (global.set $total (i32.add (global.get $total) (local.get $value)))
            (global.get $total))
        )

        """;

    private static string WatBuildScript(string id) => $$"""
        #!/usr/bin/env bash
        # Rebuilds logic.wasm from logic.wat with wat2wasm (WABT).
        # `vyra new` already wrote logic.wasm; run this after editing logic.wat.
        # Environment: WAT2WASM selects the command (default wat2wasm), for example
        #   WAT2WASM="npx --yes -p wabt@1.0.39 wat2wasm" ./build.sh
        set -euo pipefail

        here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
        read -r -a wat2wasm <<<"${WAT2WASM:-wat2wasm}"
        if ! command -v "${wat2wasm[0]}" >/dev/null 2>&1; then
          echo "error: ${wat2wasm[0]} not found. Install it (Debian: apt-get install -y wabt) or set WAT2WASM=..." >&2
          exit 3
        fi
        (cd "$here" && "${wat2wasm[@]}" logic.wat -o logic.wasm)
        echo "built {{id}}/{{Version}}/logic.wasm ($(wc -c <"$here/logic.wasm") bytes)"

        """;

    private static string CManifest(string id) => $$"""
        {
          "id": "{{id}}",
          "version": "{{Version}}",
          "name": "{{Title(id)}}",
          "description": "A VYRA plugin in C (vyra.h): a scalar export and a string export that logs through the host.",
          "exports": [
            {
              "name": "add",
              "description": "a + b (wraps modulo 2^32).",
              "args": [{ "name": "a", "type": "i32" }, { "name": "b", "type": "i32" }],
              "returns": "i32"
            },
            {
              "name": "greet",
              "description": "Log through host_log and return 'Hello, <name>!'.",
              "args": [{ "name": "name", "type": "string" }],
              "returns": "string"
            }
          ],
          "imports": ["host_log"],
        {{Limits}}
        }

        """;

    private static string CSource(string id) => $$"""
        /*
         * {{id}} {{Version}} -- scaffolded by `vyra new {{id}} --lang c`.
         *
         * ABI (see vyra.h): scalars are plain wasm values; a string argument arrives
         * as (ptr, len) and a string result is returned as one i64 (ptr << 32) | len
         * in a fresh vyra_alloc buffer that the host frees.
         * Declare each export in metadata.json: `vyra inspect` checks that they match.
         *
         * Build: ./build.sh   (clang-14 + lld-14)
         */
        #define VYRA_IMPLEMENTATION
        #include "vyra.h"

        /* add(a: i32, b: i32) -> i32 */
        VYRA_EXPORT(add)
        int32_t add(int32_t a, int32_t b)
        {
            return (int32_t)((uint32_t)a + (uint32_t)b);
        }

        /* greet(name: string) -> string */
        VYRA_EXPORT(greet)
        int64_t greet(const char *name, int32_t len)
        {
            static const char prefix[] = "Hello, ";
            const int32_t prefix_len = (int32_t)(sizeof prefix - 1);
            if (len < 0 || len > 0x10000000)
                __builtin_trap();
            int32_t total = prefix_len + len + 1;
            int32_t p = vyra_alloc(total);
            if (p == 0)
                __builtin_trap();
            char *out = (char *)vyra_ptr(p);
            memcpy(out, prefix, (size_t)prefix_len);
            memcpy(out + prefix_len, name, (size_t)len);
            out[total - 1] = '!';
            vyra_host_log_cstr("greet called");
            return vyra_pack(p, total);
        }

        """;

    private static string CBuildScript(string id) => $$"""
        #!/usr/bin/env bash
        # Builds logic.wasm from logic.c with clang-14 + wasm-ld (lld-14), no libc.
        # vyra.h sits next to logic.c, so this folder builds on its own.
        # Environment: CLANG (default clang-14) selects the compiler.
        set -euo pipefail

        here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
        clang="${CLANG:-clang-14}"
        if ! command -v "$clang" >/dev/null 2>&1; then
          echo "error: $clang not found. Install it (Debian: apt-get install -y clang-14 lld-14) or set CLANG=..." >&2
          exit 3
        fi
        # Ask clang which linker it would run (wasm-ld or wasm-ld-14).
        ld="$("$clang" --target=wasm32 -### -nostdlib -Wl,--no-entry -x c /dev/null -o /dev/null 2>&1 \
              | tail -n 1 | sed -n 's/^ *"\([^"]*\)".*/\1/p')"
        if [ -z "$ld" ] || ! command -v "$ld" >/dev/null 2>&1; then
          echo "error: the wasm linker (wasm-ld) is missing for $clang. Install it: apt-get update && apt-get install -y lld-14" >&2
          exit 3
        fi
        # Relative paths from the plugin folder keep absolute paths out of the binary.
        (cd "$here" && "$clang" --target=wasm32 -O2 -nostdlib -Wall -Wextra -I. \
            -Wl,--no-entry -Wl,--stack-first -o logic.wasm logic.c)
        echo "built {{id}}/{{Version}}/logic.wasm ($(wc -c <"$here/logic.wasm") bytes)"

        """;
}
