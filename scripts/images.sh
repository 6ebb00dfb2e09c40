#!/usr/bin/env bash
# Builds the workshop's images with the tags the stacks deploy and imports them into the k3d cluster.
# The tags come from the program (infra/lib/app-images.ts: version + hash of each image's build
# inputs), so a rebuilt image has a new tag and the next `pulumi up` rolls it out.
# Usage: npm run images [-- --dry-run]   (K3D_CLUSTER overrides the cluster name, default "workshop")
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cluster="${K3D_CLUSTER:-workshop}"
dry_run=false
[[ "${1:-}" == "--dry-run" ]] && dry_run=true

run() {
  if $dry_run; then
    echo "$*"
  else
    "$@"
  fi
}

listing="$("$root/node_modules/.bin/tsx" "$root/infra/lib/app-images.ts")"
images=()
while read -r app image; do
  run docker build --file "$root/apps/${app}/Dockerfile" --tag "$image" "$root"
  images+=("$image")
done <<<"$listing"
if [[ ${#images[@]} -ne 3 ]]; then
  echo "images.sh: expected 3 images from infra/lib/app-images.ts, got ${#images[@]}" >&2
  exit 1
fi
run k3d image import --cluster "$cluster" "${images[@]}"
