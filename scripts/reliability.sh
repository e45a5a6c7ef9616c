#!/usr/bin/env bash
# npm run test:reliability: the reliability suite (issue 14), test/reliability/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
mocha --timeout 900000 'test/reliability/**/*.test.ts'
