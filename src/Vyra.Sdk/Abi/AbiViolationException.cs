namespace Vyra.Sdk;

/// <summary>
/// The guest broke the memory ABI (bad pointer or length, missing allocator, invalid UTF-8 ...).
/// Thrown inside the kernel and surfaced as <see cref="PluginCallException"/> with <see cref="PluginErrorKind.Abi"/>.
/// </summary>
internal sealed class AbiViolationException(string reason) : Exception(reason);
