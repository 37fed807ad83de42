namespace Vyra.Sdk;

/// <summary>
/// A bounded scan of a binary module's section headers, run before Wasmtime compiles it: it counts what makes
/// compilation expensive (functions, imports, exports, body sizes, locals, other entries) and refuses a module over the
/// host's <see cref="ModuleLimits"/>. It reads each byte at most once and allocates nothing per entry, so a hostile module
/// costs the host no more than its length. It is not a validator (Wasmtime validates); it only refuses what it cannot
/// read: a bad header, a LEB128 longer than its type allows, or a size that runs past its section.
/// </summary>
internal static class ModuleBounds
{
    private const byte SectionType = 1, SectionImport = 2, SectionFunction = 3, SectionTable = 4, SectionMemory = 5,
        SectionGlobal = 6, SectionExport = 7, SectionElement = 9, SectionCode = 10, SectionData = 11, SectionTag = 13;

    /// <summary>Throws <see cref="PluginLoadException"/> naming <paramref name="path"/> and the bound the module breaks.</summary>
    public static ModuleShape Check(ReadOnlySpan<byte> module, ModuleLimits limits, string path)
    {
        if (module.Length > limits.MaxModuleBytes) throw Refused(path, Over("bytes", module.Length, nameof(ModuleLimits.MaxModuleBytes), limits.MaxModuleBytes));
        var shape = Scan(module, out var malformed);
        if (shape is null) throw new PluginLoadException($"{path}: not a valid WebAssembly module: {malformed}", path);
        if (shape.Violation(limits) is { } problem) throw Refused(path, problem);
        return shape;
    }

    internal static PluginLoadException Refused(string path, string problem) => new($"{path}: refused before compiling: {problem}", path);

    /// <summary>What the module holds, or null with why it cannot be read.</summary>
    public static ModuleShape? Scan(ReadOnlySpan<byte> module, out string? malformed)
    {
        malformed = null;
        if (module.Length < 8 || !module[..4].SequenceEqual("\0asm"u8)) { malformed = "not a WebAssembly binary (bad magic)"; return null; }
        if (!module.Slice(4, 4).SequenceEqual(new byte[] { 1, 0, 0, 0 })) { malformed = "not a core WebAssembly module of version 1 (components and other versions are not plugins)"; return null; }
        var shape = new ModuleShape { Bytes = module.Length };
        var reader = new Reader(module, 8);
        while (!reader.AtEnd)
        {
            var id = reader.Byte();
            if (!reader.U32(out var size) || size > reader.Remaining) { malformed = Malformed(reader, "section size"); return null; }
            var section = new Reader(module.Slice(reader.Position, (int)size), 0, reader.Position);
            reader.Skip((int)size);
            uint count = 0;
            var ok = id switch
            {
                0 or 8 or 12 => true, // custom (skipped), start, data count: single values
                SectionImport or SectionFunction or SectionExport or SectionType or SectionTable or SectionMemory or SectionGlobal
                    or SectionElement or SectionData or SectionTag => section.U32(out count),
                SectionCode => Code(ref section, shape, out malformed),
                _ => false,
            };
            if (!ok)
            {
                malformed ??= id is > SectionTag ? $"unknown section id {id} at byte {section.Offset}" : Malformed(section, $"entry count of section {id}");
                return null;
            }
            switch (id)
            {
                case SectionImport: shape.Imports = count; break;
                case SectionFunction: shape.Functions = count; break;
                case SectionExport: shape.Exports = count; break;
                case SectionCode: break;
                case 8: shape.HasStart = true; break;
                default: shape.OtherEntries = Math.Max(shape.OtherEntries, count); break;
            }
        }
        return shape;
    }

    private static bool Code(ref Reader section, ModuleShape shape, out string? malformed)
    {
        malformed = null;
        if (!section.U32(out var count)) { malformed = Malformed(section, "function body count"); return false; }
        shape.Functions = Math.Max(shape.Functions, count);
        for (var i = 0u; i < count; i++)
        {
            if (!section.U32(out var bodySize) || bodySize > section.Remaining) { malformed = Malformed(section, $"size of function body {i}"); return false; }
            shape.LargestBody = Math.Max(shape.LargestBody, bodySize);
            var end = section.Position + (int)bodySize;
            if (!section.U32(out var groups)) { malformed = Malformed(section, $"local declarations of function body {i}"); return false; }
            long locals = 0;
            for (var g = 0u; g < groups && section.Position < end; g++)
            {
                if (!section.U32(out var n) || section.AtEnd) { malformed = Malformed(section, $"locals of function body {i}"); return false; }
                locals += n;
                var type = section.Byte();
                // (ref null? ht): a heap type, a signed LEB128 of up to 33 bits, follows.
                if ((type is 0x63 or 0x64) && !section.S33()) { malformed = Malformed(section, $"local type of function body {i}"); return false; }
            }
            shape.MostLocals = Math.Max(shape.MostLocals, locals);
            if (section.Position > end) { malformed = Malformed(section, $"function body {i}"); return false; }
            section.Skip(end - section.Position);
        }
        return true;
    }

    internal static string Over(string what, long actual, string bound, long limit) =>
        $"the module has {actual} {what}, more than the host allows (ModuleLimits.{bound} = {limit})";

    private static string Malformed(Reader reader, string what) => $"bad {what} at byte {reader.Offset}";

    /// <summary>A forward-only reader over a slice of the module; <see cref="Offset"/> is the absolute byte offset for messages.</summary>
    private ref struct Reader(ReadOnlySpan<byte> bytes, int position, int baseOffset = 0)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;

        public int Position { get; private set; } = position;

        public readonly int Remaining => _bytes.Length - Position;

        public readonly bool AtEnd => Position >= _bytes.Length;

        public readonly int Offset => baseOffset + Position;

        public byte Byte() => _bytes[Position++];

        public void Skip(int count) => Position += count;

        /// <summary>An unsigned LEB128 of at most 5 bytes whose value fits 32 bits.</summary>
        public bool U32(out uint value)
        {
            value = 0;
            for (var shift = 0; shift < 35; shift += 7)
            {
                if (AtEnd) return false;
                var b = Byte();
                if (shift == 28 && (b & 0x70) != 0) return false; // bits beyond 32, or a sixth byte
                value |= (uint)(b & 0x7F) << shift;
                if ((b & 0x80) == 0) return true;
            }
            return false;
        }

        /// <summary>Skips a signed LEB128 of at most 5 bytes (33 bits).</summary>
        public bool S33()
        {
            for (var i = 0; i < 5; i++)
            {
                if (AtEnd) return false;
                if ((Byte() & 0x80) == 0) return true;
            }
            return false;
        }
    }
}

/// <summary>What a module holds, as far as compile cost goes (see <see cref="ModuleBounds"/>).</summary>
internal sealed class ModuleShape
{
    public long Bytes { get; set; }

    public long Functions { get; set; }

    public long Imports { get; set; }

    public long Exports { get; set; }

    public long LargestBody { get; set; }

    public long MostLocals { get; set; }

    public long OtherEntries { get; set; }

    /// <summary>Whether the module has a start function: guest code that runs while it is instantiated.</summary>
    public bool HasStart { get; set; }

    /// <summary>The first bound the module breaks, or null.</summary>
    public string? Violation(ModuleLimits limits)
    {
        if (Bytes > limits.MaxModuleBytes) return ModuleBounds.Over("bytes", Bytes, nameof(ModuleLimits.MaxModuleBytes), limits.MaxModuleBytes);
        if (Functions > limits.MaxFunctions) return ModuleBounds.Over("functions", Functions, nameof(ModuleLimits.MaxFunctions), limits.MaxFunctions);
        if (Imports > limits.MaxImports) return ModuleBounds.Over("imports", Imports, nameof(ModuleLimits.MaxImports), limits.MaxImports);
        if (Exports > limits.MaxExports) return ModuleBounds.Over("exports", Exports, nameof(ModuleLimits.MaxExports), limits.MaxExports);
        if (LargestBody > limits.MaxFunctionBodyBytes) return ModuleBounds.Over("bytes in its largest function body", LargestBody, nameof(ModuleLimits.MaxFunctionBodyBytes), limits.MaxFunctionBodyBytes);
        if (MostLocals > limits.MaxLocalsPerFunction) return ModuleBounds.Over("locals in one function", MostLocals, nameof(ModuleLimits.MaxLocalsPerFunction), limits.MaxLocalsPerFunction);
        if (OtherEntries > limits.MaxOtherEntries) return ModuleBounds.Over("entries in one section", OtherEntries, nameof(ModuleLimits.MaxOtherEntries), limits.MaxOtherEntries);
        return null;
    }
}
