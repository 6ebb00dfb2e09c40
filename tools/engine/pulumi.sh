#!/usr/bin/env bash
# `npm run engine -- <pulumi args>`: runs the self-built Pulumi CLI (tools/engine/build.sh) with its
# plugins in a cache PULUMI_HOME, local file state and nothing fetched from the network.
#
# Environment (all optional):
#   PULUMI_BACKEND_URL        default file://<repo>/.pulumi (git-ignored)
#   PULUMI_CONFIG_PASSPHRASE  default: a fixed, public value for throw-away local state (see README)
#   ENGINE_REBUILD=1          rebuild the engine even if the cache has it
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

# Node 24 from the repo, never the machine's older node.
export PATH="$repo/node_modules/.bin:$PATH"

engine=$("$here/build.sh")
if [[ -f $engine/substituted.txt && -z ${ENGINE_QUIET:-} ]]; then
  sed 's/^/engine: warning: /' "$engine/substituted.txt" >&2
fi

export PATH="$engine/bin:$PATH"
export PULUMI_HOME="$engine/home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$repo/.pulumi}"
if [[ -z ${PULUMI_CONFIG_PASSPHRASE:-} && -z ${PULUMI_CONFIG_PASSPHRASE_FILE:-} ]]; then
  # Not a secret: it only encrypts throw-away local state; set your own for anything that matters.
  export PULUMI_CONFIG_PASSPHRASE=secure-workshop-local-state
fi
if [[ $PULUMI_BACKEND_URL == file:///* ]]; then
  mkdir -p "${PULUMI_BACKEND_URL#file://}"
fi

exec "$engine/bin/pulumi" "$@"
