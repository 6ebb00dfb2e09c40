#!/usr/bin/env bash
# Builds the workshop's images with the tags the stacks deploy and imports them into the k3d cluster.
# Usage: npm run images [-- --dry-run]   (K3D_CLUSTER overrides the cluster name, default "workshop")
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cluster="${K3D_CLUSTER:-workshop}"
dry_run=false
[[ "${1:-}" == "--dry-run" ]] && dry_run=true

# The tag lives in one place, infra/settings.ts, so the images and the stacks cannot drift apart.
tag="$(sed -n "s/^export const APP_IMAGE_TAG = '\([^']*\)';$/\1/p" "$root/infra/settings.ts")"
if [[ -z "$tag" ]]; then
  echo "images.sh: APP_IMAGE_TAG not found in infra/settings.ts" >&2
  exit 1
fi

run() {
  if $dry_run; then
    echo "$*"
  else
    "$@"
  fi
}

images=()
for app in api reconciler backup; do
  image="secure-workshop/${app}:${tag}"
  run docker build --file "$root/apps/${app}/Dockerfile" --tag "$image" "$root"
  images+=("$image")
done
run k3d image import --cluster "$cluster" "${images[@]}"
