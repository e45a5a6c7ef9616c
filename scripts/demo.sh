#!/usr/bin/env bash
# npm run demo: bootstrap the toolchain (first run: npm packages, Node 22, the
# Pulumi CLI built from Go modules), then run the offline-IM story end to end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
exec node -r ts-node/register/transpile-only scripts/demo.ts
