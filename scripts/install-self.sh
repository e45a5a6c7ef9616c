#!/usr/bin/env bash
# Compiles the package and installs the packed tarball into node_modules as a
# real folder, exactly as users get it from a registry. Examples and e2e tests
# import "clientpolicy-as-code" from there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
dest="node_modules/clientpolicy-as-code"
# Skip when the installed copy was built from exactly these sources.
hash="$(find api provider emulator server cli $(ls -d gateway 2>/dev/null) package.json tsconfig.json tsconfig.build.json -type f | LC_ALL=C sort | xargs sha1sum | sha1sum | cut -c1-40)"
if [[ -f "$dest/.source-hash" && "$(cat "$dest/.source-hash")" == "$hash" && -f dist/emulator/main.js ]]; then
  exit 0
fi
rm -rf dist
tsc -p tsconfig.build.json
mkdir -p .tools/pkg
tarball="$(npm pack --silent --pack-destination .tools/pkg | tail -n1)"
rm -rf "$dest" && mkdir -p "$dest"
tar -xzf ".tools/pkg/$tarball" -C "$dest" --strip-components=1
echo "$hash" >"$dest/.source-hash"
