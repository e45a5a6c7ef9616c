#!/usr/bin/env bash
# Compiles the package and installs the packed tarball into node_modules as a
# real folder, exactly as users get it from a registry. Examples and e2e tests
# import "clientpolicy-as-code" from there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
rm -rf dist
tsc -p tsconfig.build.json
mkdir -p .tools/pkg
tarball="$(npm pack --silent --pack-destination .tools/pkg | tail -n1)"
dest="node_modules/clientpolicy-as-code"
rm -rf "$dest" && mkdir -p "$dest"
tar -xzf ".tools/pkg/$tarball" -C "$dest" --strip-components=1
