namespace Vyra.Sdk;

/// <summary>What a load does about a plugin folder's <c>signature.bin</c> (docs/signing.md).</summary>
public enum SignatureMode
{
    /// <summary>Default: signatures are not read at all (upstream ships an empty <c>signature.bin</c> in every plugin).</summary>
    Off,

    /// <summary>
    /// An unsigned plugin (no <c>signature.bin</c>, or upstream's empty one) loads with a logged warning; a signature
    /// that is present must verify against a trusted key, or the load is refused.
    /// </summary>
    WarnUnsigned,

    /// <summary>Every plugin must carry a signature that verifies against a trusted key; anything else is refused.</summary>
    Require,
}
