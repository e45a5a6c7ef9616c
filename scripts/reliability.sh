#!/usr/bin/env bash
# npm run test:reliability: the reliability suite with the real Pulumi CLI and real emulators, after the
# same bootstrap as npm test. test/reliability/ holds faults (20 % 429/503/reset, two tenants), crash (kill -9 of
# pulumi up/destroy, then the documented recovery) and the emulator's own crash-safety and load tests. The ownership
# outcomes and the bad-input corpus are the end-to-end suites test/e2e/ownership.test.ts and
# test/e2e/preview-corpus.test.ts, run here too unless RELIABILITY_SKIP_E2E=1 (scripts/test.sh sets it: its e2e tier
# has just run them).
# Extra arguments go to mocha (e.g. --grep). RELIABILITY_SEED replays a crash run; RELIABILITY_CRASH_RUNS sets its kills.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [[ "${RELIABILITY_NO_BOOTSTRAP:-}" != 1 ]]; then
  bash "$ROOT/scripts/bootstrap.sh"
fi
cd "$ROOT"
files=('test/reliability/**/*.test.ts')
if [[ "${RELIABILITY_SKIP_E2E:-}" != 1 ]]; then
  files+=(test/e2e/ownership.test.ts test/e2e/preview-corpus.test.ts)
fi
log "reliability suite (real Pulumi CLI $(pulumi version), real emulators)"
mocha --timeout 900000 "${files[@]}" "$@"
