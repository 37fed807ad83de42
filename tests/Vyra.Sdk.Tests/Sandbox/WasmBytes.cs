using System.Text;

namespace Vyra.Sdk.Tests.Sandbox;

/// <summary>Builds binary modules byte by byte, for hostile shapes the text format makes slow or impossible to write.</summary>
internal static class WasmBytes
{
    public static readonly byte[] Header = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00];

    public static void Leb(List<byte> to, ulong value)
    {
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            to.Add(value == 0 ? b : (byte)(b | 0x80));
        }
        while (value != 0);
    }

    public static void Section(List<byte> module, byte id, List<byte> content)
    {
        module.Add(id);
        Leb(module, (ulong)content.Count);
        module.AddRange(content);
    }

    /// <summary>
    /// A module with <paramref name="functions"/> functions of type () -> (), each body being <paramref name="bodyOps"/>
    /// nops with <paramref name="locals"/> i32 locals, and <paramref name="exports"/> exports of function 0.
    /// </summary>
    public static byte[] Module(int functions = 1, int exports = 1, int bodyOps = 0, uint locals = 0)
    {
        var module = new List<byte>(Header);
        Section(module, 1, [0x01, 0x60, 0x00, 0x00]);
        var declarations = new List<byte>();
        Leb(declarations, (ulong)functions);
        for (var i = 0; i < functions; i++) declarations.Add(0x00);
        Section(module, 3, declarations);
        var exportSection = new List<byte>();
        Leb(exportSection, (ulong)exports);
        for (var i = 0; i < exports; i++)
        {
            var name = Encoding.UTF8.GetBytes("e" + i);
            Leb(exportSection, (ulong)name.Length);
            exportSection.AddRange(name);
            exportSection.Add(0x00);
            exportSection.Add(0x00);
        }
        Section(module, 7, exportSection);
        var body = new List<byte>();
        if (locals == 0) body.Add(0x00);
        else
        {
            body.Add(0x01);
            Leb(body, locals);
            body.Add(0x7F);
        }
        for (var i = 0; i < bodyOps; i++) body.Add(0x01);
        body.Add(0x0B);
        var code = new List<byte>();
        Leb(code, (ulong)functions);
        for (var i = 0; i < functions; i++)
        {
            Leb(code, (ulong)body.Count);
            code.AddRange(body);
        }
        Section(module, 10, code);
        return [.. module];
    }
}
