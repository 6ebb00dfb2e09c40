#!/usr/bin/env bash
# Checkov's Kubernetes rules over the rendered stacks (issue 17): the end stack must have no finding
# that is not waived in Checkov's own annotation format (infra/lib/checkov.ts, each with its reason),
# and the start stack must keep failing many. Checkov comes from PyPI, pinned by hash, in a
# virtualenv cached by the requirements file. Usage: bash scripts/checkov.sh
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
note() { printf 'checkov: %s\n' "$*"; }

command -v python3 >/dev/null 2>&1 || { note "python3 is required"; exit 2; }
requirements=tools/lint/checkov/requirements.txt
key=$(sha256sum "$requirements" | cut -c1-16)
venv="${XDG_CACHE_HOME:-$HOME/.cache}/secure-workshop/checkov-$key"
if [[ ! -f $venv/complete ]]; then
  note "installing Checkov into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$requirements"
  touch "$venv/complete"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/checkov.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PATH="$PWD/node_modules/.bin:$PATH"
for stack in end start; do
  tsx infra/tools/cli.ts render "$stack" --out "$work/$stack" >/dev/null
  "$venv/bin/checkov" -d "$work/$stack" --framework kubernetes --quiet --compact -o json \
    >"$work/$stack.json" 2>"$work/$stack.err" || true
done

summary() {
  python3 - "$1" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
report = data[0] if isinstance(data, list) else data
summary = report.get("summary", {})
print(summary.get("failed", 0), summary.get("skipped", 0), summary.get("passed", 0))
for check in report.get("results", {}).get("failed_checks", []):
    print(f'{check["check_id"]} {check["resource"]}: {check["check_name"]}', file=sys.stderr)
PY
}

read -r end_failed end_skipped end_passed < <(summary "$work/end.json" 2>"$work/end.findings")
read -r start_failed _ _ < <(summary "$work/start.json" 2>/dev/null)
note "end: $end_passed passed, $end_failed failed, $end_skipped waived; start: $start_failed failed ($((SECONDS - started))s)"
if [[ $end_failed -ne 0 ]]; then
  sed 's/^/checkov: end: /' "$work/end.findings"
  note "FAIL: the end stack has findings that are neither fixed nor waived with a reason"
  exit 1
fi
if [[ $start_failed -lt 20 ]]; then
  note "FAIL: the start stack should fail many checks (it is the workshop's insecure starting point), got $start_failed"
  exit 1
fi
note "ok"
