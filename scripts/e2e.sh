#!/usr/bin/env bash
# npm run test:e2e: only the end-to-end tier (after bootstrapping).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
mocha --timeout 900000 'test/e2e/**/*.test.ts' "$@"
