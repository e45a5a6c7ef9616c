#!/usr/bin/env bash
# Builds the Pulumi CLI from the Go module proxy through the wrapper module in
# tools/pulumi-cli, caches it in .tools/bin keyed by version, builds the Node.js
# language host from tools/pulumi-language-nodejs next to it, and installs the
# pulumi-resource-pulumi-nodejs shim that runs dynamic providers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bin="$TOOLS_BIN/pulumi-$PULUMI_VERSION"
mkdir -p "$TOOLS_BIN"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || { echo "error: Go is needed to build the Pulumi CLI (looked on PATH and /usr/local/go/bin)" >&2; exit 1; }
  log "building Pulumi CLI $PULUMI_VERSION from Go modules (first time only; ~10-20 minutes on 2 cores)"
  cd "$ROOT/tools/pulumi-cli"
  logfile="$(mktemp)"
  start=$SECONDS
  (CGO_ENABLED=0 GOFLAGS=-mod=mod go build -v -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$bin.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >"$logfile" 2>&1; echo $? >"$logfile.rc") &
  last=$SECONDS
  while [[ ! -f "$logfile.rc" ]]; do
    sleep 2
    (( SECONDS - last < 30 )) && continue
    last=$SECONDS
    printf '    ... %3ds, %4d packages compiled, last: %s\n' $((SECONDS - start)) "$(wc -l <"$logfile")" "$(tail -n1 "$logfile" | cut -c1-70)" >&2
  done
  if [[ "$(cat "$logfile.rc")" != 0 ]]; then
    tail -n 40 "$logfile" >&2
    echo "error: building the Pulumi CLI failed (full log: $logfile)" >&2
    exit 1
  fi
  mv "$bin.tmp" "$bin"
  log "built Pulumi CLI in $((SECONDS - start))s"
fi
ln -sf "pulumi-$PULUMI_VERSION" "$TOOLS_BIN/pulumi"

# The Node.js language host (tools/pulumi-language-nodejs), so that `pulumi up` runs a
# program in its folder. Small and quick once the CLI's module cache is warm; rebuilt
# when its sources change (the cache key is the version plus a hash of the sources).
host_dir="$ROOT/tools/pulumi-language-nodejs"
host_sdk="$(sed -n 's#^require github.com/pulumi/pulumi/sdk/v3 ##p' "$host_dir/go.mod")"
if [[ "$host_sdk" != "$PULUMI_VERSION" ]]; then
  echo "error: tools/pulumi-language-nodejs/go.mod requires sdk/v3 $host_sdk, the CLI is $PULUMI_VERSION" >&2
  exit 1
fi
host_hash="$(cd "$host_dir" && LC_ALL=C sha1sum go.mod go.sum $(ls *.go | grep -v _test.go | LC_ALL=C sort) | sha1sum | cut -c1-12)"
host_bin="$TOOLS_BIN/pulumi-language-nodejs-$PULUMI_VERSION-$host_hash"
if [[ ! -x "$host_bin" ]]; then
  command -v go >/dev/null || { echo "error: Go is needed to build the Node.js language host" >&2; exit 1; }
  log "building the Node.js language host (tools/pulumi-language-nodejs)"
  start=$SECONDS
  (cd "$host_dir" && CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      -o "$host_bin.tmp" .)
  mv "$host_bin.tmp" "$host_bin"
  rm -f $(ls "$TOOLS_BIN"/pulumi-language-nodejs-v* | grep -vxF "$host_bin")
  log "built the language host in $((SECONDS - start))s"
fi
ln -sf "$(basename "$host_bin")" "$TOOLS_BIN/pulumi-language-nodejs"

# The official CLI ships this as a tiny script; a Go-built CLI lacks it. It runs
# in the program's folder, so @pulumi/pulumi resolves from the project there.
cat >"$TOOLS_BIN/pulumi-resource-pulumi-nodejs" <<'SHIM'
#!/usr/bin/env bash
exec node "$(node -p "require.resolve('@pulumi/pulumi/cmd/dynamic-provider')")" "$@"
SHIM
chmod 0755 "$TOOLS_BIN/pulumi-resource-pulumi-nodejs"
