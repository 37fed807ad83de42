using Microsoft.CodeAnalysis;

namespace Vyra.Sdk.Generators.Model;

/// <summary>
/// A diagnostic to report, as plain values: its descriptor (equatable, and carried rather than looked up by id, so an
/// unknown id can never turn into another diagnostic), where, and the message arguments.
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public string Id => Descriptor.Id;

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) =>
        new(descriptor, location, args.ToEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        var args = new object[MessageArgs.Count];
        for (var i = 0; i < args.Length; i++) args[i] = MessageArgs[i];
        return Diagnostic.Create(Descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, args);
    }
}
