#!/usr/bin/env bash
# The offline gate, for CI jobs that do not run the whole suite (.github/workflows/ci.yml's policy
# job): its assertions are vitest tests, which `npm test` runs too. gate.test.ts: check exits 0 on end
# and 1 on start with A01, A02, A04, A05 and A09, draw --check, the diff names every control;
# stacks.test.ts: docs/architecture-*.svg and .mmd are fresh, render and diff of both stacks.
# Usage: bash scripts/ci-offline.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
exec vitest run infra/tools/gate.test.ts infra/tools/stacks.test.ts
