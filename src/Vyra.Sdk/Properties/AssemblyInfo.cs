using System.Runtime.CompilerServices;

// The CLI reads modules and coerces typed arguments with the kernel's own rules (WasmSignature, ScalarCoercion):
// those helpers are not part of the public contract, so the CLI sees them as a friend assembly instead.
[assembly: InternalsVisibleTo("Vyra.Cli")]
