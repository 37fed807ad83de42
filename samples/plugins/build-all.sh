#!/usr/bin/env bash
# Builds every sample plugin under samples/plugins/<id>/<version>/.
#
#   ./build-all.sh           rebuild every logic.wasm from its source
#   ./build-all.sh --check   rebuild into temp files and compare with the
#                            committed logic.wasm files (exit 1 on a mismatch)
#
# A plugin folder with its own build.sh (e.g. C plugins) is built by that
# script (given the same --check flag). A folder with logic.wat is compiled
# with wat2wasm (WABT). Environment overrides:
#   WAT2WASM  command used for .wat files (default: wat2wasm), for example
#             WAT2WASM="npx --yes -p wabt@1.0.39 wat2wasm"
#   CLANG     compiler passed on to the C plugins' build.sh (default clang-14)
# The committed binaries were built with Debian wabt 1.0.32 and clang/lld 14.0.6.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode=build
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

read -r -a wat2wasm <<<"${WAT2WASM:-wat2wasm}"
have_wat2wasm() { command -v "${wat2wasm[0]}" >/dev/null 2>&1; }

tmpdir="$(mktemp -d "${TMPDIR:-/tmp}/vyra-plugins.XXXXXX")"
trap 'rm -rf "$tmpdir"' EXIT

failed=0
count=0
for dir in "$here"/*/*/; do
  dir="${dir%/}"
  rel="${dir#"$here"/}"
  [ -f "$dir/metadata.json" ] || [ -f "$dir/manifest.yaml" ] || continue
  if [ -x "$dir/build.sh" ] || [ -f "$dir/build.sh" ]; then
    count=$((count + 1))
    if [ "$mode" = check ]; then
      bash "$dir/build.sh" --check || failed=1
    else
      bash "$dir/build.sh" || failed=1
    fi
  elif [ -f "$dir/logic.wat" ]; then
    count=$((count + 1))
    if ! have_wat2wasm; then
      echo "$rel: '${wat2wasm[0]}' not found; it compiles logic.wat. Get it with" >&2
      echo "    apt-get install -y wabt              (Debian/Ubuntu)" >&2
      echo "    or WAT2WASM=\"npx --yes -p wabt@1.0.39 wat2wasm\" $0 ${1:-}" >&2
      failed=1
      continue
    fi
    if [ "$mode" = check ]; then
      out="$tmpdir/$(echo "$rel" | tr '/' '_').wasm"
      if ! (cd "$dir" && "${wat2wasm[@]}" logic.wat -o "$out"); then
        echo "$rel: logic.wat does not compile" >&2
        failed=1
      elif [ ! -f "$dir/logic.wasm" ]; then
        echo "$rel: logic.wasm is missing (run $0)" >&2
        failed=1
      elif cmp -s "$out" "$dir/logic.wasm"; then
        echo "$rel: logic.wasm is up to date"
      else
        echo "$rel: logic.wasm differs from a fresh build of logic.wat (run $0 and commit the result)" >&2
        failed=1
      fi
    else
      if (cd "$dir" && "${wat2wasm[@]}" logic.wat -o logic.wasm); then
        echo "built $rel/logic.wasm ($(wc -c <"$dir/logic.wasm") bytes)"
      else
        echo "$rel: logic.wat does not compile" >&2
        failed=1
      fi
    fi
  else
    echo "$rel: no build.sh or logic.wat, skipped (prebuilt logic.wasm only)"
  fi
done

if [ "$count" -eq 0 ]; then
  echo "no plugins found under $here" >&2
  exit 1
fi
if [ "$failed" -ne 0 ]; then
  echo "FAILED: at least one plugin did not build or is out of date" >&2
  exit 1
fi
echo "ok: $count plugin(s) $([ "$mode" = check ] && echo "match their sources" || echo "built")"
