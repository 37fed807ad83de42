namespace Vyra.Sdk;

/// <summary>One file a plugin signature covers: its name in the plugin folder, its length and its SHA-256.</summary>
internal readonly record struct SignedFile(string Name, long Length, byte[] Sha256)
{
    public string Hex => "sha256:" + Convert.ToHexString(Sha256).ToLowerInvariant();
}
