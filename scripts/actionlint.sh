#!/usr/bin/env bash
# Lints the GitHub Actions workflow of the config repo example with actionlint, built once from the Go module proxy
# at a pinned version and cached in .tools/bin like the Pulumi CLI (no actionlint package in Debian's or npm's
# well-kept set; the npm wrappers download a binary at install time).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
bin="$TOOLS_BIN/actionlint-$ACTIONLINT_VERSION"
if [[ ! -x "$bin" ]]; then
  log "building actionlint $ACTIONLINT_VERSION from the Go module proxy"
  tmp="$(mktemp -d)"
  GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  mkdir -p "$TOOLS_BIN" && mv "$tmp/actionlint" "$bin" && rmdir "$tmp"
fi
cd "$ROOT"
# shellcheck is used by actionlint for run: scripts when it is on PATH; it is not required.
exec "$bin" -no-color examples/ci/github-actions.yml "$@"
