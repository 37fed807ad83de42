using Microsoft.CodeAnalysis;

namespace Vyra.Sdk.Generators.Model;

/// <summary>A diagnostic to report, as plain values: the descriptor's id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> MessageArgs)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params string[] args) =>
        new(descriptor.Id, location, args.ToEquatableArray());

    public Diagnostic ToDiagnostic()
    {
        var descriptor = Diagnostics.VyraDiagnostics.ById(Id);
        var args = new object[MessageArgs.Count];
        for (var i = 0; i < args.Length; i++) args[i] = MessageArgs[i];
        return Diagnostic.Create(descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, args);
    }
}
