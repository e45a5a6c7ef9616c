#!/usr/bin/env bash
# npm run emulator -- <flags>: runs the compiled emulator (starts in well under a
# second); compiles first only when a source file is newer than the build.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
if [[ ! -f dist/emulator/main.js ]] || [[ -n "$(find api emulator -name '*.ts' -newer dist/emulator/main.js -print -quit)" ]]; then
  tsc -p tsconfig.build.json >&2
fi
exec node dist/emulator/main.js "$@"
