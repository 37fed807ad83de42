#!/usr/bin/env bash
# Rebuilds the JavaScript guest component shop/1.0.0/logic.wasm.gz (gzipped) from shop/1.0.0/shop.js and its WIT world
# (shop/1.0.0/wit) with the Bytecode Alliance's componentize-js, at the exact versions of package.json and
# package-lock.json. The built component is committed: the tests never need node, npm or this script.
#
#   ./build.sh           rebuild logic.wasm.gz in place
#   ./build.sh --check   rebuild into a temp file and compare its world (imports, exports, types) with the committed
#                        logic.wasm's (exit 1 when they differ)
#
# A rebuild is not byte for byte the same: the component holds a snapshot of the JavaScript engine's heap, whose layout
# differs from run to run (two builds of the same inputs here differed in about two million bytes, and by a few bytes
# in length). So --check compares what the host sees, the world, not the bytes.
#
# Needs node 20+ and npm (and the network for the first install). The tools are installed with `npm ci` into a folder
# outside the repository, VYRA_JSGUEST_TOOLS (default: vyra-jsguest-tools under the temp folder), and reused while the
# lock file is unchanged.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
plugin="$here/shop/1.0.0"
tools="${VYRA_JSGUEST_TOOLS:-${TMPDIR:-/tmp}/vyra-jsguest-tools}"

mode=build
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool not found; install Node.js 20 or later" >&2
    exit 3
  fi
done

mkdir -p "$tools"
if ! cmp -s "$here/package-lock.json" "$tools/package-lock.json" || [ ! -d "$tools/node_modules/@bytecodealliance/componentize-js" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
fi

# The build step lives next to the tools so that node resolves the packages from there.
cat > "$tools/build-shop.mjs" <<'JS'
import { writeFile } from 'node:fs/promises';
import { componentize, version } from '@bytecodealliance/componentize-js';

const [sourcePath, witPath, out] = process.argv.slice(2);
// componentize-js names its work folder after Math.random(), and that folder's path is kept inside the component
// (the engine's start arguments): a fixed value makes the name the same on every build and machine.
Math.random = () => 0.5;
// Every engine feature off: a "pure" component that imports its world and nothing else (no WASI clocks, randomness,
// stdio or HTTP), so the host grants it nothing. A JavaScript exception that escapes then traps.
const { component } = await componentize({
  sourcePath,
  witPath,
  worldName: 'shop',
  disableFeatures: ['stdio', 'random', 'clocks', 'http', 'fetch-event'],
});
await writeFile(out, component);
console.log(`componentize-js ${version}: ${component.length} bytes`);
JS

# The component keeps the folder of the script and componentize-js's work folder (inside TMPDIR) in its engine's start
# arguments. Both are under this fixed folder, so no path of the building machine ends up in the component. The build owns the folder: it is emptied first and removed at the end (one build at a time).
stage=/tmp/vyra-jsguest-stage

build() { # $1 = output file
  rm -rf "$stage"
  mkdir -p "$stage/src"
  cp "$plugin/shop.js" "$stage/src/"
  cp -r "$plugin/wit" "$stage/src/"
  (cd "$stage/src" && TMPDIR="$stage" node "$tools/build-shop.mjs" shop.js wit "$1")
  rm -rf "$stage"
}

# The repository keeps the component gzipped (-n: no name or time inside, so equal bytes give an equal file).
if [ "$mode" = build ]; then
  tmp="$(mktemp "${TMPDIR:-/tmp}/shop.XXXXXX.wasm")"
  trap 'rm -f "$tmp"' EXIT
  build "$tmp"
  # The world the component really has, as jco reads it back: the world's imports and exports, nothing else.
  (cd "$tools" && npx --no-install jco wit "$tmp")
  gzip -9 -n -c "$tmp" >"$plugin/logic.wasm.gz"
  echo "built shop/1.0.0/logic.wasm.gz ($(wc -c <"$tmp") bytes unpacked, $(wc -c <"$plugin/logic.wasm.gz") packed)"
else
  tmp="$(mktemp "${TMPDIR:-/tmp}/shop.XXXXXX.wasm")"
  old="$(mktemp "${TMPDIR:-/tmp}/shop-committed.XXXXXX.wasm")"
  trap 'rm -f "$tmp" "$old"' EXIT
  build "$tmp"
  gzip -d -c "$plugin/logic.wasm.gz" >"$old"
  fresh="$(cd "$tools" && npx --no-install jco wit "$tmp")"
  committed="$(cd "$tools" && npx --no-install jco wit "$old")"
  if [ "$fresh" = "$committed" ]; then
    echo "shop/1.0.0: logic.wasm.gz has the world of a fresh build of shop.js"
  else
    diff <(echo "$committed") <(echo "$fresh") >&2 || true
    echo "shop/1.0.0: logic.wasm.gz's world differs from a fresh build's (run $0 and commit the result)" >&2
    exit 1
  fi
fi
