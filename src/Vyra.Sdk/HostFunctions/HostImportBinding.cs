using Wasmtime;

namespace Vyra.Sdk;

/// <summary>
/// The typed handler of a host import (<see cref="TypedHostImport"/>), able to define itself in a linker as a typed
/// Wasmtime host function. Wasmtime's typed host functions take their arguments as plain values, where the untyped
/// callback hands over spans of boxed values; the generated bindings use this path. The concrete classes are generic over
/// the wasm value types, so the kernel stays generic and nothing is found by reflection (NativeAOT-friendly): the
/// generated code names the types, the compiler instantiates the classes.
/// </summary>
internal abstract class HostImportBinding(ValueKind[] parameters, ValueKind[] results)
{
    /// <summary>The wasm types of the handler's arguments, checked against the import's signature when it is made.</summary>
    public ValueKind[] Parameters { get; } = parameters;

    /// <summary>The wasm types of the handler's results (none or one).</summary>
    public ValueKind[] Results { get; } = results;

    /// <summary>
    /// Defines the import in <paramref name="linker"/>. The callback finds the calling instance in the store's data and
    /// runs the binding that instance's contract holds at <paramref name="index"/>: it must be of the same class, which
    /// the linker's key (signature and "typed") guarantees.
    /// </summary>
    public abstract void Define(Linker linker, string module, string name, int index);

    /// <summary>Runs the handler over untyped arguments (the import's <see cref="HostImport.Handler"/>).</summary>
    public abstract void Invoke(HostCall call);

    /// <summary>The instance a host call comes from: the store's data (the Wasm backend's instance is a <see cref="CallingGuest"/>).</summary>
    protected static CallingGuest Guest(Caller caller) => (CallingGuest)caller.GetData()!;
}
