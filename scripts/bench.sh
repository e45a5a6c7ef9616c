#!/usr/bin/env bash
# npm run bench: ratios against baselines measured in the same run (see bench/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
for f in bench/*.bench.ts; do
  log "$f"
  node -r ts-node/register/transpile-only "$f"
done
