#!/usr/bin/env bash
# Runs the real Pulumi engine (self-built, tools/engine) over the start and end stacks (issue 8):
# up with the Kubernetes provider rendering YAML to a directory, a second preview that must show no
# changes, preview with the policy pack (end passes, start fails with the same policies as the
# offline check), and an object-by-object comparison with the offline render tool.
#
# Works on a throw-away copy of the stack files and a temporary file backend; the repo is untouched.
# A step that needs a resource plugin the module proxy cannot supply (listed in the engine's
# unavailable.txt) is reported BLOCKED with the engine's own error; any other failure fails the run.
#
# usage: [CI_ENGINE_KEEP=1] scripts/ci-engine.sh [stack ...]     (default: start end)
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$repo/node_modules/.bin:$PATH"
stacks=("$@")
[[ ${#stacks[@]} -gt 0 ]] || stacks=(start end)

work=$(mktemp -d "${TMPDIR:-/tmp}/ci-engine.XXXXXX")
# CI_ENGINE_KEEP=1 keeps the rendered manifests, logs and state for a look afterwards.
if [[ -n ${CI_ENGINE_KEEP:-} ]]; then trap 'echo "ci-engine: kept $work"' EXIT; else trap 'rm -rf "$work"' EXIT; fi
summary=()
failures=0
blocked=0

note() { printf 'ci-engine: %s\n' "$*"; }

start=$SECONDS
if ! engine=$(bash "$repo/tools/engine/build.sh"); then
  note "FAIL engine build (tools/engine/build.sh)"
  exit 1
fi
summary+=("engine build (cached if unchanged): $((SECONDS - start))s")
# "name-version" of every resource plugin build.sh could not build.
unavailable=$(awk '/^[a-z]+ [0-9][0-9.]*: /{sub(":", "", $2); print $1 "-" $2}' "$engine/unavailable.txt" 2>/dev/null)

# A throw-away project: copies of the project and stack files, everything else linked.
proj="$work/project"
mkdir -p "$proj"
cp "$repo"/Pulumi.yaml "$repo"/Pulumi.*.yaml "$proj/"
for entry in infra node_modules package.json tsconfig.json tsconfig.base.json; do
  [[ -e $repo/$entry ]] && ln -s "$repo/$entry" "$proj/$entry"
done

export PULUMI_BACKEND_URL="file://$work/state"
# Not a secret: it encrypts state that is deleted when this script ends.
export PULUMI_CONFIG_PASSPHRASE=ci-engine-throwaway-state
export ENGINE_QUIET=1
mkdir -p "$work/state"
[[ -f $engine/substituted.txt ]] && sed 's/^/ci-engine: note: /' "$engine/substituted.txt"

pulumi() { (cd "$proj" && bash "$repo/tools/engine/pulumi.sh" "$@"); }

# Runs one step, keeps its output, and classifies it: ok, FAIL, or BLOCKED by a missing plugin.
# usage: step <label> <expect: pass|fail> <command...>
step() {
  local label=$1 expect=$2 log="$work/log/$1.log" t0=$SECONDS rc plugin
  shift 2
  mkdir -p "$work/log"
  "$@" >"$log" 2>&1
  rc=$?
  local took=$((SECONDS - t0))
  if [[ $expect == pass && $rc -eq 0 ]] || [[ $expect == fail && $rc -ne 0 ]]; then
    summary+=("ok      $label (${took}s, exit $rc)")
    return 0
  fi
  for plugin in $unavailable; do
    if grep -qiE "plugin.*${plugin%-*}.*v?${plugin##*-}" "$log"; then
      summary+=("BLOCKED $label (${took}s): resource plugin ${plugin%-*} ${plugin##*-} is not buildable here:")
      summary+=("        $(grep -m1 -iE "plugin.*${plugin%-*}.*v?${plugin##*-}" "$log" | cut -c1-220)")
      blocked=$((blocked + 1))
      return 1
    fi
  done
  summary+=("FAIL    $label (${took}s, exit $rc, expected $expect)")
  failures=$((failures + 1))
  note "FAIL $label; last lines of its output:"
  sed 's/^/    | /' "$log" | tail -n 40
  return 1
}

# Policy names a preview reported as mandatory violations (one per line, sorted, unique).
# Lines look like: "- [mandatory] [severity: high]  resource-limits  (kubernetes:apps/v1:Deployment: api)".
violated_policies() {
  grep -oE '\[mandatory\]( \[severity: [a-z]+\])? +[a-z0-9-]+' "$1" | awk '{print $NF}' | sort -u
}

for stack in "${stacks[@]}"; do
  note "=== stack $stack"
  out="$work/engine-$stack"
  step "$stack: stack init" pass pulumi stack init "$stack" --non-interactive || continue
  step "$stack: config" pass bash -c "cd '$proj' && bash '$repo/tools/engine/pulumi.sh' config set --stack '$stack' \
    secure-workshop:renderYamlToDirectory '$out' && bash '$repo/tools/engine/pulumi.sh' config set --stack '$stack' \
    secure-workshop:installClusterAddons false" || continue

  if step "$stack: up" pass pulumi up --yes --non-interactive --stack "$stack" --color never; then
    tac "$work/log/$stack: up.log" | sed -n '1,/^Resources:/p' | tac | head -n 6
    step "$stack: preview --expect-no-changes" pass \
      pulumi preview --expect-no-changes --non-interactive --stack "$stack" --color never
  fi

  policy_log="$work/log/$stack: preview --policy-pack.log"
  if [[ $stack == start ]]; then expect=fail; else expect=pass; fi
  if step "$stack: preview --policy-pack" "$expect" \
    pulumi preview --policy-pack "$repo/policy" --non-interactive --stack "$stack" --color never; then
    violated_policies "$policy_log" >"$work/engine-policies-$stack.txt"
    (cd "$repo" && npm run --silent check -- "$stack" >"$work/check-$stack.txt" 2>&1)
    grep -oE '^FAIL [A-Z0-9]+ [a-z0-9-]+:' "$work/check-$stack.txt" | awk '{print $3}' | tr -d : | sort -u \
      >"$work/check-policies-$stack.txt"
    note "$stack: mandatory policies violated under the engine: $(tr '\n' ' ' <"$work/engine-policies-$stack.txt")"
    if ! diff -u "$work/check-policies-$stack.txt" "$work/engine-policies-$stack.txt" >"$work/policy-diff-$stack.txt"; then
      summary+=("FAIL    $stack: the engine's policy violations differ from npm run check (- check, + engine):")
      while IFS= read -r line; do summary+=("        $line"); done < <(tail -n +3 "$work/policy-diff-$stack.txt")
      failures=$((failures + 1))
    fi
    if [[ $stack == start && ! -s $work/engine-policies-$stack.txt ]]; then
      summary+=("FAIL    $stack: the policy preview failed without naming a mandatory policy")
      failures=$((failures + 1))
      sed 's/^/    | /' "$policy_log" | tail -n 30
    fi
  fi

  if [[ -d $out ]]; then
    step "$stack: offline render" pass bash -c "cd '$repo' && npm run --silent render -- '$stack' --out '$work/render-$stack'"
    step "$stack: compare engine vs offline render" pass \
      tsx "$repo/tools/engine/compare-render.ts" "$out" "$work/render-$stack" &&
      tail -n 1 "$work/log/$stack: compare engine vs offline render.log"
  fi
done

note "=== summary"
printf '  %s\n' "${summary[@]}"
note "$failures failed, $blocked blocked"
[[ $failures -eq 0 ]]
