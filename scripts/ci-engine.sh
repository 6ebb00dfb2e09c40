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
# usage: [CI_ENGINE_KEEP=1] scripts/ci-engine.sh [stack[:control,...] ...]   (default: see specs below)
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$repo/node_modules/.bin:$PATH"
specs=("$@")
# start:<ids> runs the start stack with those controls: the end stack's Kubernetes-only controls get
# through the real provider even while random and tls cannot be built.
[[ ${#specs[@]} -gt 0 ]] || specs=(start end "start:pod-hardening,network-policies,security-headers")

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

# A throw-away project per run: copies of the project and stack files, everything else linked.
make_project() {
  mkdir -p "$1"
  cp "$repo"/Pulumi.yaml "$repo"/Pulumi.*.yaml "$1/"
  local entry
  for entry in infra node_modules package.json tsconfig.json tsconfig.base.json; do
    if [[ -e $repo/$entry ]]; then ln -s "$repo/$entry" "$1/$entry"; fi
  done
}

# Not a secret: it encrypts state that is deleted when this script ends.
export PULUMI_CONFIG_PASSPHRASE=ci-engine-throwaway-state
export ENGINE_QUIET=1
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

# Replaces the copied stack file's control list with $controls (comma-separated).
set_controls() {
  local i=0 c
  pulumi config rm --stack "$stack" secure-workshop:controls || return 1
  for c in ${controls//,/ }; do
    pulumi config set --stack "$stack" --path "secure-workshop:controls[$i]" "$c" || return 1
    i=$((i + 1))
  done
}

for spec in "${specs[@]}"; do
  stack=${spec%%:*}
  controls=""
  if [[ $spec == *:* ]]; then controls=${spec#*:}; fi
  id=$(tr ':,' '+-' <<<"$spec")
  controls_flag=()
  if [[ -n $controls ]]; then controls_flag=(--controls "$controls"); fi
  note "=== $spec"
  proj="$work/project-$id"
  make_project "$proj"
  export PULUMI_BACKEND_URL="file://$work/state-$id"
  mkdir -p "$work/state-$id"
  out="$work/engine-$id"

  step "$id: stack init" pass pulumi stack init "$stack" --non-interactive || continue
  step "$id: config" pass pulumi config set --stack "$stack" secure-workshop:renderYamlToDirectory "$out" || continue
  step "$id: config addons" pass pulumi config set --stack "$stack" secure-workshop:installClusterAddons false || continue
  if [[ -n $controls ]]; then
    step "$id: config controls" pass set_controls || continue
  fi

  if step "$id: up" pass pulumi up --yes --non-interactive --stack "$stack" --color never; then
    tac "$work/log/$id: up.log" | sed -n '1,/^Resources:/p' | tac | head -n 6
    step "$id: preview --expect-no-changes" pass \
      pulumi preview --expect-no-changes --non-interactive --stack "$stack" --color never
  fi

  # Only the full end stack passes every mandatory policy.
  policy_log="$work/log/$id: preview --policy-pack.log"
  if [[ $spec == end ]]; then expect=pass; else expect=fail; fi
  if step "$id: preview --policy-pack" "$expect" \
    pulumi preview --policy-pack "$repo/policy" --non-interactive --stack "$stack" --color never; then
    violated_policies "$policy_log" >"$work/engine-policies-$id.txt"
    (cd "$repo" && npm run --silent check -- "$stack" "${controls_flag[@]}" >"$work/check-$id.txt" 2>&1)
    grep -oE '^FAIL [A-Z0-9]+ [a-z0-9-]+:' "$work/check-$id.txt" | awk '{print $3}' | tr -d : | sort -u \
      >"$work/check-policies-$id.txt"
    note "$id: mandatory policies violated under the engine: $(tr '\n' ' ' <"$work/engine-policies-$id.txt")"
    if ! diff -u "$work/check-policies-$id.txt" "$work/engine-policies-$id.txt" >"$work/policy-diff-$id.txt"; then
      summary+=("FAIL    $id: the engine's policy violations differ from npm run check (- check, + engine):")
      while IFS= read -r line; do summary+=("        $line"); done < <(tail -n +3 "$work/policy-diff-$id.txt")
      failures=$((failures + 1))
    fi
    if [[ $expect == fail && ! -s $work/engine-policies-$id.txt ]]; then
      summary+=("FAIL    $id: the policy preview failed without naming a mandatory policy")
      failures=$((failures + 1))
      sed 's/^/    | /' "$policy_log" | tail -n 30
    fi
  fi

  if [[ -d $out ]]; then
    step "$id: offline render" pass bash -c "cd '$repo' && npm run --silent render -- '$stack' ${controls_flag[*]} --out '$work/render-$id'"
    step "$id: compare engine vs offline render" pass \
      tsx "$repo/tools/engine/compare-render.ts" "$out" "$work/render-$id" &&
      tail -n 1 "$work/log/$id: compare engine vs offline render.log"
  fi
done

note "=== summary"
printf '  %s\n' "${summary[@]}"
note "$failures failed, $blocked blocked"
[[ $failures -eq 0 ]]
