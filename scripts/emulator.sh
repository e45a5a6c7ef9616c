#!/usr/bin/env bash
# npm run emulator -- <flags>: runs the compiled emulator (starts in well under a
# second). install-self.sh rebuilds dist/ only when a source changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
bash "$ROOT/scripts/install-self.sh" >&2
exec node dist/emulator/main.js "$@"
