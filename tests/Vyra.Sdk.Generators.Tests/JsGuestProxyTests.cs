using System.Reflection;
using Xunit;

namespace Vyra.Sdk.Generators.Tests;

/// <summary>
/// The generated proxy and host binding against a component written in JavaScript (built with componentize-js; see
/// docs/components.md): the guest's WIT world is generated, compiled with a small driver, loaded, and run against the
/// committed component through the real kernel and Wasmtime.
/// </summary>
public class JsGuestProxyTests
{
    private const string Driver = """
        using System.Collections.Generic;
        using Sample.App.Plugins;

        public static class Driver
        {
            public static async System.Threading.Tasks.Task<string> RunAsync(string path)
            {
                var audit = new AuditLog();
                await using var shop = await ShopComponent.StartAsync("shop", path, audit);
                var order = new Types.Order("ada", new[] { "tea", "cake" }, new uint[] { 2, 1 }, Types.Priority.Urgent);
                var receipt = await shop.CheckoutAsync(order, new Types.Discount.Percent(10));
                var plain = await shop.CheckoutAsync(order with { Priority = Types.Priority.Low }, new Types.Discount.None());
                var cake = await shop.QuantityOfAsync(order, "cake");
                var milk = await shop.QuantityOfAsync(order, "milk");
                var ok = await shop.ParseQuantityAsync("42");
                var err = await shop.ParseQuantityAsync("x");
                var version = await shop.VersionAsync();
                return string.Join("|",
                    receipt.Customer, string.Join(",", receipt.Lines), receipt.Total, receipt.Priority, plain.Total, plain.Priority,
                    cake, milk is null ? "none" : "some", ok, err, version, string.Join(";", audit.Entries));
            }

            private sealed class AuditLog : IShopImports
            {
                public List<string> Entries { get; } = new();

                public uint Audit(string entry)
                {
                    Entries.Add(entry);
                    return (uint)Entries.Count;
                }
            }
        }
        """;

    [Fact]
    public async Task The_generated_proxy_calls_the_javascript_component_and_its_host_binding_receives_the_import()
    {
        var folder = Repo.Path("tests", "Vyra.Sdk.Tests", "Components", "JsGuest", "shop", "1.0.0");
        var wit = new InMemoryAdditionalText("/repo/tests/shop/wit/shop.wit", File.ReadAllText(Path.Combine(folder, "wit", "shop.wit")));
        var (result, output) = GeneratorHarness.Run([wit], [Driver]);
        Assert.Null(result.Exception);
        Assert.Empty(GeneratorHarness.Problems(output).Select(d => d.ToString()));
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var run = Assembly.Load(image.ToArray()).GetType("Driver")!.GetMethod("RunAsync")!;
        // The repository keeps the component gzipped: unpack it beside a copy of its manifest and world.
        var unpacked = Path.Combine(Path.GetTempPath(), "vyra-tests", "jsguest-proxy-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(unpacked, "wit"));
        try
        {
            File.Copy(Path.Combine(folder, "metadata.json"), Path.Combine(unpacked, "metadata.json"));
            File.Copy(Path.Combine(folder, "wit", "shop.wit"), Path.Combine(unpacked, "wit", "shop.wit"));
            using (var packed = File.OpenRead(Path.Combine(folder, "logic.wasm.gz")))
            using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionMode.Decompress))
            using (var module = File.Create(Path.Combine(unpacked, "logic.wasm")))
            {
                gzip.CopyTo(module);
            }
            var answer = await (Task<string>)run.Invoke(null, [Path.Combine(unpacked, "logic.wasm")])!;
            Assert.Equal(
                "ada|2 x tea,1 x cake,audit #1|270|Urgent|300|Low|1|none|ok(42)|err(not a quantity: 'x')|shop 1.0.0 (JavaScript)|ada: 270 (urgent);ada: 300 (low)",
                answer);
        }
        finally
        {
            try { Directory.Delete(unpacked, recursive: true); } catch (IOException) { }
        }
    }
}
