#!/usr/bin/env bash
# CI gate for the policy pack over the rendered stacks (offline, no cluster, no Pulumi CLI):
# the end stack must pass every policy; the start stack must fail with A01, A02, A04, A05 and A09.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

npm run --silent check -- end

set +e
start_report=$(npm run --silent check -- start 2>&1)
start_code=$?
set -e
if [[ $start_code -ne 1 ]]; then
  printf '%s\n' "$start_report"
  echo "policy gate: 'check start' exited $start_code, expected 1 (mandatory violations)" >&2
  exit 1
fi
for category in A01 A02 A04 A05 A09; do
  if ! grep -q "^FAIL $category " <<<"$start_report"; then
    printf '%s\n' "$start_report"
    echo "policy gate: the start stack has no $category violation" >&2
    exit 1
  fi
done
echo "policy gate: end passes; start fails in A01 A02 A04 A05 A09 as expected"
