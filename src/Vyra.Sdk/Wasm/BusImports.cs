using System.Buffers;
using System.Text.Json;

namespace Vyra.Sdk;

/// <summary>
/// The bus imports of VYRA's module template (module <c>vyra</c>, or <c>env</c>; docs/bus.md "Guest imports"), each
/// going through the calling runtime's <see cref="PluginRuntime.Facade"/> (permission, then throttle, then transport):
/// <c>notify_ui(event_name: string, data: json)</c>, <c>publish(topic: string, payload: json)</c>,
/// <c>request(topic: string, payload: json) -> json</c>, <c>subscribe(topic: string)</c>, <c>serve(service: string)</c>.
/// (<c>log(msg: string)</c> is registered with the built-ins.) A refusal fails the guest's call with the facade's kind
/// (<see cref="PluginErrorKind.PermissionDenied"/>, <see cref="PluginErrorKind.Blocked"/>,
/// <see cref="PluginErrorKind.InvalidArgument"/>). Waits lend the call's guest slot out (<see cref="HeldGuestSlot"/>).
/// </summary>
internal static class BusImports
{
    private static readonly PluginValueType[] OneString = [PluginValueType.String];
    private static readonly PluginValueType[] StringAndJson = [PluginValueType.String, PluginValueType.Json];
    private static readonly PluginValueType[] Json = [PluginValueType.Json];

    public static void Register(HostImportRegistry registry, WasmRuntime? runtime)
    {
        registry.Add("notify_ui", StringAndJson, [], call =>
        {
            var facade = Of(runtime, call).Facade;
            var eventName = call.GetString(0);
            var data = call.GetJsonElement(1);
            HeldGuestSlot.WaitReleased(Done(facade.NotifyUiAsync(eventName, AsDictionary(data), call.CancellationToken)), call.CancellationToken);
        });
        registry.Add("publish", StringAndJson, [], call =>
        {
            var owner = Of(runtime, call);
            var topic = call.GetString(0);
            var payload = call.GetJsonElement(1);
            HeldGuestSlot.WaitReleased(Done(owner.Facade.PublishAsync(topic, payload, owner.GateFor(ContractOf(call)), call.CancellationToken)), call.CancellationToken);
        });
        registry.Add("request", StringAndJson, Json, call =>
        {
            var owner = Of(runtime, call);
            var topic = call.GetString(0);
            var payload = call.GetJsonElement(1);
            call.ReturnBytes(ReplyJson(owner.RequestFromGuest(topic, payload, ContractOf(call), call.CancellationToken)));
        });
        registry.Add("subscribe", OneString, [], call => Of(runtime, call).SubscribeFromGuest(call.GetString(0), ContractOf(call), call.CancellationToken));
        registry.Add("serve", OneString, [], call => Of(runtime, call).ServeFromGuest(call.GetString(0), ContractOf(call), call.CancellationToken));
    }

    private static WasmRuntime Of(WasmRuntime? runtime, HostCall call) =>
        runtime ?? throw new InvalidOperationException($"'{call.ImportName}' was called on a module loaded for inspection only");

    /// <summary>
    /// The calling instance's contract: during a start (<c>init</c> may subscribe) the version being started is not
    /// yet the runtime's current one, and during a hot swap it may already be the next.
    /// </summary>
    private static ModuleContract ContractOf(HostCall call) => ((WasmInstance)call.Guest).Contract;

    private static async Task<bool> Done(ValueTask task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    /// <summary>notify_ui's data for <see cref="IHostFunctions.NotifyUiAsync"/>: an object's properties, anything else as <c>{"data": value}</c>.</summary>
    internal static IReadOnlyDictionary<string, object?> AsDictionary(JsonElement data)
    {
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (data.ValueKind != JsonValueKind.Object)
        {
            result["data"] = data;
            return result;
        }
        foreach (var property in data.EnumerateObject()) result[property.Name] = property.Value;
        return result;
    }

    /// <summary>The reply as the guest receives it: <c>{"plugin_id", "success", "data", "error"}</c>, with null for nobody / none.</summary>
    internal static byte[] ReplyJson(ServiceResponse response)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (response.PluginId is null) writer.WriteNull("plugin_id");
            else writer.WriteString("plugin_id", response.PluginId);
            writer.WriteBoolean("success", response.Success);
            writer.WritePropertyName("data");
            if (response.Data.ValueKind == JsonValueKind.Undefined) writer.WriteNullValue();
            else response.Data.WriteTo(writer);
            if (response.Error is null) writer.WriteNull("error");
            else writer.WriteString("error", response.Error);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
