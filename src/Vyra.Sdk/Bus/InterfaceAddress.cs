using System.Diagnostics.CodeAnalysis;

namespace Vyra.Sdk;

/// <summary>
/// Where a topic or service lives: the VYRA module that owns it, optionally one instance of that module, and the
/// interface's name. Permissions are checked against <see cref="ModuleName"/> and <see cref="ModuleId"/> (VYRA's
/// facade rule); transports route by the whole address.
/// <para>
/// A guest names an address as text (docs/bus.md): <c>name</c> (the host's own module, <see cref="PluginBusOptions.Module"/>),
/// <c>module/name</c>, or <c>module/instance/name</c>. Each part is 1–128 characters of <c>[A-Za-z0-9_.-]</c>, so an
/// address cannot smuggle a wildcard or a separator into a transport's channel name.
/// </para>
/// </summary>
/// <param name="ModuleName">The owning module, e.g. <c>v2_dashboard</c>.</param>
/// <param name="ModuleId">One instance of the module, or null for the module as a whole.</param>
/// <param name="Name">The topic or service name.</param>
public sealed record InterfaceAddress(string ModuleName, string? ModuleId, string Name)
{
    /// <summary>The longest part of an address.</summary>
    public const int MaxPartLength = 128;

    /// <summary>The address as a guest writes it: <c>module/name</c> or <c>module/instance/name</c>.</summary>
    public override string ToString() => ModuleId is null ? $"{ModuleName}/{Name}" : $"{ModuleName}/{ModuleId}/{Name}";

    /// <summary>
    /// Reads a guest's address text; a bare name belongs to <paramref name="ownModule"/>. On failure
    /// <paramref name="error"/> says what is wrong with the text.
    /// </summary>
    public static bool TryParse(string text, BusModule ownModule, [NotNullWhen(true)] out InterfaceAddress? address, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(ownModule);
        address = null;
        if (text.Length > 3 * MaxPartLength + 2)
        {
            error = $"an address is at most {3 * MaxPartLength + 2} characters; this one has {text.Length}";
            return false;
        }
        var parts = text.Split('/');
        if (parts.Length > 3)
        {
            error = $"'{Shown(text)}' has {parts.Length} parts; an address is name, module/name or module/instance/name";
            return false;
        }
        foreach (var part in parts)
        {
            if (!IsValidPart(part, out error))
            {
                error = $"'{Shown(text)}': {error}";
                return false;
            }
        }
        address = parts.Length switch
        {
            1 => new InterfaceAddress(ownModule.Name, ownModule.Id, parts[0]),
            2 => new InterfaceAddress(parts[0], null, parts[1]),
            _ => new InterfaceAddress(parts[0], parts[1], parts[2]),
        };
        error = null;
        return true;
    }

    /// <summary>Whether <paramref name="part"/> is a valid module name, instance id or interface name.</summary>
    internal static bool IsValidPart(string part, [NotNullWhen(false)] out string? error)
    {
        if (part.Length is 0 or > MaxPartLength)
        {
            error = $"each part is 1 to {MaxPartLength} characters";
            return false;
        }
        foreach (var c in part)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                error = $"'{(char.IsControl(c) ? $"U+{(int)c:X4}" : c.ToString())}' is not allowed; parts use A-Z, a-z, 0-9, '_', '.', '-'";
                return false;
            }
        }
        error = null;
        return true;
    }

    /// <summary>Text quoted in a message: at most 80 characters, then an ellipsis.</summary>
    internal static string Shown(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
