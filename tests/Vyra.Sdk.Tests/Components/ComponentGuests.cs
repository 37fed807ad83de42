using Vyra.Sdk.Tests.Support;

namespace Vyra.Sdk.Tests.Components;

/// <summary>Component plugins written as component text, laid out as plugin folders (manifest, logic.wat, wit/).</summary>
internal static class ComponentGuests
{
    public const string Wit = """
        package test:calc@1.0.0;

        interface logging {
          enum level { debug, info, warn }
          log: func(level: level, message: string);
        }

        world calc {
          import host-add: func(a: u32, b: u32) -> u32;
          use logging.{level};
          export add: func(a: u32, b: u32) -> u32;
          export via-host: func(a: u32, b: u32) -> u32;
          export echo: func(s: string) -> string;
          export spin: func();
          export grow: func(pages: u32) -> s32;
          export crash: func();
          export wide: func(a: s8, b: u16, c: s64, d: f64, e: char, f: bool) -> f64;
        }
        """;

    public const string Wat = """
        (component
          (import "host-add" (func $hadd (param "a" u32) (param "b" u32) (result u32)))
          (core module $m
            (import "h" "add" (func $hadd (param i32 i32) (result i32)))
            (memory (export "mem") 1)
            (global $next (mut i32) (i32.const 8192))
            (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
            (func (export "via-host") (param i32 i32) (result i32) local.get 0 local.get 1 call $hadd)
            (func (export "spin") (loop br 0))
            (func (export "crash") unreachable)
            (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
            (func (export "wide") (param i32 i32 i64 f64 i32 i32) (result f64)
              local.get 0 f64.convert_i32_s local.get 1 f64.convert_i32_u f64.add
              local.get 2 f64.convert_i64_s f64.add local.get 3 f64.add
              local.get 4 f64.convert_i32_u f64.add local.get 5 f64.convert_i32_u f64.add)
            (func (export "realloc") (param i32 i32 i32 i32) (result i32)
              (local $at i32)
              global.get $next local.get 2 i32.add i32.const 1 i32.sub
              i32.const 0 local.get 2 i32.sub i32.and local.tee $at
              local.get 3 i32.add global.set $next local.get $at)
            (func (export "echo") (param i32 i32) (result i32)
              i32.const 1024 local.get 0 i32.store
              i32.const 1028 local.get 1 i32.store
              i32.const 1024))
          (core func $hadd_low (canon lower (func $hadd)))
          (core instance $hi (export "add" (func $hadd_low)))
          (core instance $i (instantiate $m (with "h" (instance $hi))))
          (func (export "add") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "add")))
          (func (export "via-host") (param "a" u32) (param "b" u32) (result u32) (canon lift (core func $i "via-host")))
          (func (export "echo") (param "s" string) (result string)
            (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
          (func (export "spin") (canon lift (core func $i "spin")))
          (func (export "crash") (canon lift (core func $i "crash")))
          (func (export "grow") (param "pages" u32) (result s32) (canon lift (core func $i "grow")))
          (func (export "wide") (param "a" s8) (param "b" u16) (param "c" s64) (param "d" f64) (param "e" char) (param "f" bool) (result f64)
            (canon lift (core func $i "wide")))
        )
        """;

    public static string Manifest(string id, string world = "calc", string? extra = null) =>
        $$"""{"id":"{{id}}","version":"1.0.0","component":{"world":"{{world}}","wit":"wit"}{{extra}}}""";

    /// <summary>Writes a component plugin folder; returns the path of its <c>logic.wat</c>.</summary>
    public static string Add(TempPool pool, string id, string? manifest = null, string wat = Wat, string wit = Wit)
    {
        var folder = pool.Add(id, json: manifest ?? Manifest(id));
        File.WriteAllText(Path.Combine(folder, "logic.wat"), wat);
        Directory.CreateDirectory(Path.Combine(folder, "wit"));
        File.WriteAllText(Path.Combine(folder, "wit", "calc.wit"), wit);
        return Path.Combine(folder, "logic.wat");
    }
}
