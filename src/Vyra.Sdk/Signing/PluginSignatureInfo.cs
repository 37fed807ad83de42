namespace Vyra.Sdk;

/// <summary>A plugin signature that was written or verified.</summary>
/// <param name="KeyId">The signing key's id (lowercase hex SHA-256 of its SubjectPublicKeyInfo).</param>
/// <param name="SignaturePath">The <c>signature.bin</c> file.</param>
/// <param name="Files">The files the signature covers, in the statement's order (manifests, then the module).</param>
/// <param name="Digest">The signed digest, <c>sha256:&lt;hex&gt;</c> of the canonical statement (docs/signing.md).</param>
public sealed record PluginSignatureInfo(string KeyId, string SignaturePath, IReadOnlyList<string> Files, string Digest);
