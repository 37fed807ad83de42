#!/usr/bin/env bash
# Rebuilds logic.wasm from logic.c with clang-14 + wasm-ld (lld-14), no libc.
#
#   ./build.sh           rebuild logic.wasm in place
#   ./build.sh --check   rebuild into a temp file and compare with the committed
#                        logic.wasm (exit 1 when they differ)
#
# Environment: CLANG (default clang-14) selects the compiler. The committed
# binary was built with Debian clang-14 / lld-14 (14.0.6); another compiler
# version embeds a different "producers" section and may generate different
# code, so --check is only meaningful with the same toolchain.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pdk="$(cd "$here/../../../../pdk/c" && pwd)"
clang="${CLANG:-clang-14}"

mode=build
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

if ! command -v "$clang" >/dev/null 2>&1; then
  echo "error: $clang not found. Install it (Debian: apt-get install -y clang-14 lld-14) or set CLANG=..." >&2
  exit 3
fi
# Ask clang which linker it would run (it finds wasm-ld or wasm-ld-14 on its own).
ld="$("$clang" --target=wasm32 -### -nostdlib -Wl,--no-entry -x c /dev/null -o /dev/null 2>&1 \
      | tail -n 1 | sed -n 's/^ *"\([^"]*\)".*/\1/p')"
if [ -z "$ld" ] || ! command -v "$ld" >/dev/null 2>&1; then
  echo "error: the wasm linker (wasm-ld) is missing for $clang. Install it: apt-get update && apt-get install -y lld-14" >&2
  exit 3
fi

build() { # $1 = output file
  # Run from the plugin folder with relative paths so no absolute path can end
  # up in the binary.
  (cd "$here" && "$clang" --target=wasm32 -O2 -nostdlib \
      -Wall -Wextra -Werror \
      -I"$(realpath --relative-to="$here" "$pdk")" \
      -Wl,--no-entry -Wl,--stack-first \
      -o "$1" logic.c)
}

if [ "$mode" = build ]; then
  build "$here/logic.wasm"
  echo "built $(basename "$(dirname "$here")")/$(basename "$here")/logic.wasm ($(wc -c <"$here/logic.wasm") bytes)"
else
  tmp="$(mktemp "${TMPDIR:-/tmp}/text-tools.XXXXXX.wasm")"
  trap 'rm -f "$tmp"' EXIT
  build "$tmp"
  if [ ! -f "$here/logic.wasm" ]; then
    echo "text-tools/1.0.0: logic.wasm is missing (run $0)" >&2
    exit 1
  fi
  if cmp -s "$tmp" "$here/logic.wasm"; then
    echo "text-tools/1.0.0: logic.wasm is up to date"
  else
    echo "text-tools/1.0.0: logic.wasm differs from a fresh build of logic.c (run $0 and commit the result)" >&2
    exit 1
  fi
fi
