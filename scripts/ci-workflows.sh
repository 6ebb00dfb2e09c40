#!/usr/bin/env bash
# Lints and audits the GitHub Actions configuration in .github/: actionlint (Go tool pinned in
# tools/lint/go.mod), zizmor (PyPI, pinned by hash in tools/lint/requirements.txt) and a check
# that every action is pinned by commit SHA with its version in a comment.
# Exits non-zero on any finding. Usage: bash scripts/ci-workflows.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="${XDG_CACHE_HOME:-$HOME/.cache}/secure-workshop"
started=$SECONDS

note() { printf '%s\n' "ci-workflows: $*"; }

for tool in go python3; do
  command -v "$tool" >/dev/null 2>&1 || { note "$tool is required (Go >= 1.24 for tool directives, Python >= 3.9)"; exit 2; }
done

mapfile -t workflows < <(find .github/workflows -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
if [ "${#workflows[@]}" -eq 0 ]; then
  note "no workflows under .github/workflows"
  exit 1
fi

# actionlint checks run: scripts with shellcheck when it is on PATH; install it where apt can.
if ! command -v shellcheck >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    note "installing shellcheck (Debian package)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq shellcheck; } >/dev/null ||
      note "shellcheck could not be installed: run: scripts are not shellchecked"
  else
    note "shellcheck not found and cannot be installed here: run: scripts are not shellchecked"
  fi
fi

# `go tool -n` builds actionlint at the version in go.sum (cached by Go) and prints its path, so
# it can run from the repository root where it finds .github/.
actionlint=$(go -C tools/lint tool -n actionlint)

# zizmor in its own virtualenv, keyed by the requirements file so a version bump reinstalls.
key=$(sha256sum tools/lint/requirements.txt | cut -c1-16)
venv="$cache/zizmor-$key"
if [ ! -x "$venv/bin/zizmor" ]; then
  note "installing zizmor into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --only-binary=:all: \
    -r tools/lint/requirements.txt
fi

status=0
printf '\n== actionlint %s (shellcheck: %s) ==\n' "$("$actionlint" -version | head -n 1)" \
  "$(command -v shellcheck >/dev/null 2>&1 && shellcheck --version | sed -n 's/^version: //p' || echo none)"
if "$actionlint" -no-color "${workflows[@]}"; then
  echo "no findings"
else
  status=1
fi

# Offline by default (no token, no network). With GH_TOKEN set (ci.yml does) the online audits
# run too: pinned SHAs must belong to their repositories, no known-vulnerable action versions.
zizmor_mode=(--offline)
[ -n "${GH_TOKEN:-}" ] && zizmor_mode=()
printf '\n== %s (%s) ==\n' "$("$venv/bin/zizmor" --version)" "$([ -n "${GH_TOKEN:-}" ] && echo online || echo offline)"
if "$venv/bin/zizmor" --quiet "${zizmor_mode[@]}" --no-progress --color=never \
  --collect=workflows --collect=dependabot "$root/.github"; then
  :
else
  status=1
fi

# zizmor requires the SHA; a reviewer (and Dependabot) also needs the version it stands for.
printf '\n== action pins (40-hex SHA + "# vX.Y.Z" comment) ==\n'
pin='[[:space:]-]*uses:[[:space:]]+[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}[[:space:]]+#[[:space:]]+v[0-9]+\.[0-9]+\.[0-9]+[[:space:]]*$'
if unpinned=$(grep -nE '^[[:space:]-]*uses:' "${workflows[@]}" | grep -vE "^[^:]+:[0-9]+:$pin" |
  grep -vE 'uses:[[:space:]]+\./'); then
  printf '%s\n' "$unpinned"
  status=1
else
  echo "no findings"
fi

printf '\nci-workflows: %s in %ss\n' "$([ "$status" -eq 0 ] && echo 'no findings' || echo 'FINDINGS')" \
  "$((SECONDS - started))"
exit "$status"
