#!/usr/bin/env bash
# Offline gate for the Pulumi program, no cluster or Pulumi CLI: policies on both stacks, fresh
# diagrams in docs/, and a render + diff smoke test. Usage: bash scripts/ci-offline.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

step() { printf '\n=== %s ===\n' "$*"; }
fail() { echo "ci-offline: $*" >&2; exit 1; }
tools() { node --import tsx infra/tools/cli.ts "$@"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

step "check end: every mandatory policy passes"
tools check end || fail "the end stack violates mandatory policies"

step "check start: fails (exit 1) in A01, A02, A04, A05 and A09"
set +e
tools check start >"$work/check-start.txt"
code=$?
set -e
tail -n 1 "$work/check-start.txt"
[ "$code" -eq 1 ] || fail "check start exited $code, expected 1"
for category in A01 A02 A04 A05 A09; do
  grep -q "^FAIL $category " "$work/check-start.txt" || fail "check start names no $category violation"
done

step "docs/architecture-*.svg and .mmd are what draw makes now"
for stack in start end; do
  tools draw "$stack" --out "docs/architecture-$stack.svg" --check ||
    fail "docs/architecture-$stack.svg is stale: npm run draw -- $stack --out docs/architecture-$stack.svg"
done

step "render end and diff start -> end"
tools render end --out "$work/end"
for file in resources.json deployment-workshop-end-api.yaml statefulset-workshop-end-postgres.yaml; do
  [ -s "$work/end/$file" ] || fail "render end wrote no $file"
done
tools diff start end --format markdown >"$work/diff.md"
ids="$(node --import tsx -e 'import("./infra/stacks/controls.ts").then((m) => console.log((m.CONTROL_IDS ?? m.default.CONTROL_IDS).join(" ")))')"
for id in $ids; do
  grep -q "\`$id\`" "$work/diff.md" || fail "diff start end does not mention control $id"
done
echo "ci-offline: all offline checks passed"
