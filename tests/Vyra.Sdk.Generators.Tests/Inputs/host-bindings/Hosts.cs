using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Text.Json.Nodes;
using Vyra.Sdk;

namespace Sample.App;

public abstract class TestHostBase : BaseHostFunctions
{
    public override ValueTask NotifyUiAsync(string eventName, IReadOnlyDictionary<string, object?> data, CancellationToken cancellationToken = default) => default;
}

public static partial class Outer
{
    [VyraHost]
    public sealed partial class AllTypesHost : TestHostBase
    {
        public int host_i32(int a) => a;

        public long host_i64(long a) => a;

        public float host_f32(float a) => a;

        public double host_f64(double a) => a;

        public bool host_bool(bool a) => !a;

        public string host_string(string text) => text;

        public byte[] host_bytes(byte[] data) => data;

        public JsonNode? host_json(JsonNode? node) => node;

        public (int Count, string Name) host_pair(int a) => (a, "x");

        public void host_void(string message)
        {
        }

        public Task host_task() => Task.CompletedTask;

        public ValueTask<int> host_value_task(int x) => new(x);

        // 12 wasm arguments: the most a typed Wasmtime host function with a caller takes.
        public int host_twelve(string a, string b, string c, string d, string e, string f) => 0;

        // 14 wasm arguments: bound through the untyped callback.
        public int host_fourteen(string a, string b, string c, string d, string e, string f, string g) => 0;

        [HostImport("custom_name")]
        public static int Custom(int x) => x;

        public int NotAnImport(int x) => x;
    }
}

[VyraHost]
public partial class GenericHost<T> : TestHostBase
{
    public int host_generic(int x) => x;
}
