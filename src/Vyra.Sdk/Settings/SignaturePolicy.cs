namespace Vyra.Sdk;

/// <summary>
/// Which plugin signatures a host accepts (<see cref="PluginRuntimeOptions.Signatures"/>, and
/// <c>PluginCatalog.Discover</c>): the mode and the public keys trusted to sign. The format and the rules are in
/// docs/signing.md.
/// </summary>
public sealed record SignaturePolicy
{
    /// <summary>The default: signatures are not checked.</summary>
    public static SignaturePolicy Off { get; } = new();

    /// <summary>What a load does about signatures. Default <see cref="SignatureMode.Off"/>.</summary>
    public SignatureMode Mode { get; init; }

    /// <summary>The keys whose signatures are accepted. Any mode but <see cref="SignatureMode.Off"/> needs at least one.</summary>
    public IReadOnlyList<TrustedKey> TrustedKeys { get; init; } = [];

    /// <summary>A policy that requires a signature by one of <paramref name="keys"/>.</summary>
    public static SignaturePolicy Require(params TrustedKey[] keys) => new() { Mode = SignatureMode.Require, TrustedKeys = keys };

    /// <summary>Refuses a policy that cannot mean what it says (an unknown mode, or keys missing for a mode that needs them).</summary>
    internal void Validate(string name)
    {
        if (!Enum.IsDefined(Mode))
            throw new ArgumentOutOfRangeException(name, Mode, $"{name}.Mode must be Off, WarnUnsigned or Require");
        if (TrustedKeys is null || TrustedKeys.Any(k => k is null))
            throw new ArgumentNullException(name, $"{name}.TrustedKeys must not be null or hold null keys");
        // With no key every signature is untrusted: under Require nothing could ever load, under WarnUnsigned only
        // unsigned plugins could. A configuration mistake, told at once rather than at the first plugin.
        if (Mode != SignatureMode.Off && TrustedKeys.Count == 0)
            throw new ArgumentException($"{name}.Mode is {Mode} but {name}.TrustedKeys is empty: no signature could be trusted", name);
    }

    internal TrustedKey? Find(ReadOnlySpan<byte> keyId)
    {
        foreach (var key in TrustedKeys)
        {
            if (key.KeyIdBytes.AsSpan().SequenceEqual(keyId)) return key;
        }
        return null;
    }
}
