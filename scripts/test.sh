#!/usr/bin/env bash
# npm test: bootstrap, type-check, then the three tiers in order (unit, integration
# against real emulators on loopback, e2e with the real Pulumi CLI).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/bootstrap.sh"
cd "$ROOT"
log "type-check"
tsc -p tsconfig.json --noEmit
log "actionlint (examples/ci/github-actions.yml)"
bash "$ROOT/scripts/actionlint.sh"
log "unit tests"
mocha 'test/unit/**/*.test.ts'
(cd "$ROOT/tools/pulumi-language-nodejs" && log "language host unit tests (Go)" && go test ./...)
log "integration tests (emulator over loopback)"
mocha --timeout 300000 'test/integration/**/*.test.ts'
log "end-to-end tests (real Pulumi CLI $(pulumi version), real emulator, file:// backend)"
mocha --timeout 900000 'test/e2e/**/*.test.ts'
log "reliability suite (faults, kill -9 recovery, emulator crash safety and load)"
RELIABILITY_NO_BOOTSTRAP=1 RELIABILITY_SKIP_E2E=1 bash "$ROOT/scripts/reliability.sh"
