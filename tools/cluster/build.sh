#!/usr/bin/env bash
# Builds the control plane `npm run cluster` runs (issue 15) from Go modules: kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl, etcd and kwok in one `go build` that shares their
# packages, then controller-gen, kwok's default stages and the CRDs generated from the upstream Go API
# types. Every version comes from versions.env; the result is cached under a key made of those
# versions and the hashes of the Go module files. Prints the cache directory on stdout.
#
# Usage: tools/cluster/build.sh            (build if needed, print the directory)
#        CLUSTER_REBUILD=1 tools/cluster/build.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/secure-workshop/cluster

log() { printf 'cluster: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

command -v go >/dev/null || die "go not found (Go 1.26 builds the control plane)"

# shellcheck disable=SC1091 # plain NAME=value lines
source "$here/versions.env"

# go.mod pins the binaries' modules; it must say what versions.env says.
required() { awk -v m="$1" '$1 == m && $2 ~ /^v[0-9]/ { print $2; exit }' "$2"; }
expect_required() {
  local module=$1 want=$2 file=$3 got
  got=$(required "$module" "$file")
  [[ $got == "$want" ]] ||
    die "$file requires $module ${got:-(nothing)} but versions.env says $want (run: go -C $(dirname "$file") get $module@$want)"
}
expect_required k8s.io/kubernetes "$KUBERNETES_VERSION" "$here/go.mod"
expect_required go.etcd.io/etcd/server/v3 "$ETCD_VERSION" "$here/go.mod"
expect_required sigs.k8s.io/kwok "$KWOK_VERSION" "$here/go.mod"
expect_required sigs.k8s.io/controller-tools "$CONTROLLER_TOOLS_VERSION" "$here/controller-gen/go.mod"
stale=$(awk -v v="$KUBERNETES_STAGING_VERSION" '$2 == "=>" && $3 ~ /^k8s\.io\// && $4 != v { print $1 }' "$here/go.mod")
[[ -z $stale ]] || die "go.mod replaces $(echo "$stale" | head -n 1) with another version than $KUBERNETES_STAGING_VERSION"

key_input() {
  go env GOVERSION GOOS GOARCH
  (cd "$here" && sha256sum build.sh versions.env go.mod go.sum controller-gen/go.mod controller-gen/go.sum \
    traefik-ext/go.mod traefik-ext/ext.go)
}
key=$(key_input | sha256sum | cut -c1-16)
out="$cache_root/k8s-${KUBERNETES_VERSION#v}-$key"

if [[ -f $out/complete && -z ${CLUSTER_REBUILD:-} ]]; then
  echo "$out"
  exit 0
fi

# A private scratch directory, so two builds at once do not trip over each other.
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/src" "$tmp/crds"
bin="$tmp/bin"

# -trimpath keeps the compile cache valid across checkouts in different directories; the toolchain
# is the installed one, never a download.
export GOTOOLCHAIN=local
build_flags=(-mod=readonly -trimpath "-p=${CLUSTER_GO_PARALLEL:-2}")
gobuild() { nice -n "${CLUSTER_NICE:-19}" go build "${build_flags[@]}" "$@"; }
timed() {
  local name=$1 start=$SECONDS
  shift
  log "$name ..."
  ("$@")
  log "$name: $((SECONDS - start))s"
}

# The version stamps release builds carry (hack/lib/version.sh), so GET /version and
# `kubectl version` report KUBERNETES_VERSION; the build date is the module's release time.
k8s_ldflags() {
  local build_date minor flags=(-s -w) pkg
  build_date=$(go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
  minor=${KUBERNETES_VERSION#v1.}
  minor=${minor%%.*}
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags+=(-X "$pkg.gitVersion=$KUBERNETES_VERSION" -X "$pkg.gitMajor=1" -X "$pkg.gitMinor=$minor"
      -X "$pkg.gitTreeState=clean" -X "$pkg.buildDate=$build_date")
  done
  echo "${flags[*]}"
}

build_control_plane() {
  cd "$here"
  gobuild -o "$bin/" \
    "-ldflags=k8s.io/kubernetes/cmd/...=$(k8s_ldflags)" \
    "-ldflags=go.etcd.io/etcd/server/v3=-s -w" \
    "-ldflags=sigs.k8s.io/kwok/cmd/kwok=-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBERNETES_VERSION" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl \
    go.etcd.io/etcd/server/v3 \
    sigs.k8s.io/kwok/cmd/kwok
  # go names a main package after its path without the major-version suffix: .../server/v3 is "server".
  mv "$bin/server" "$bin/etcd"
}
timed "building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBERNETES_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION" \
  build_control_plane

# controller-tools needs k8s.io 0.37 libraries and newer structured-merge-diff and kube-openapi than
# Kubernetes 1.36 pins; its own module keeps those out of the API server's build.
build_controller_gen() {
  cd "$here/controller-gen"
  gobuild -ldflags "-s -w" -o "$bin/controller-gen" sigs.k8s.io/controller-tools/cmd/controller-gen
}
timed "building controller-gen $CONTROLLER_TOOLS_VERSION" build_controller_gen

# kwok's default stages, as kwokctl assembles them: nodes become Ready and keep a lease, pods become
# Running/Ready, Job pods complete, deleted pods go away. Its ClusterRole comes along.
write_kwok_config() {
  local dir stage
  dir=$(cd "$here" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  cp "$dir/kustomize/rbac/role.yaml" "$tmp/kwok-clusterrole.yaml"
  for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    printf -- '---\n'
    cat "$dir/kustomize/stage/$stage.yaml"
  done >"$tmp/kwok-stages.yaml"
}
write_kwok_config

# One scratch module per CRD source, so each API package is type-checked against the dependency
# versions its own release asks for; nothing here is compiled.
generate_crds() {
  local name=$1 module=$2 version=$3 src="$tmp/src/crd-$1" pkg paths=()
  shift 3
  mkdir -p "$src" "$tmp/crds/$name"
  cd "$src"
  printf 'module crdgen.local/%s\n\ngo 1.26.0\n' "$name" >go.mod
  if [[ $name == traefik ]]; then
    cp -r "$here/traefik-ext" ext
    go mod edit -replace=github.com/traefik/traefik/dynamic/ext=./ext
  fi
  for pkg in "$@"; do
    GOFLAGS=-mod=mod go get "$module/$pkg@$version" 2>/dev/null ||
      die "cannot fetch $module/$pkg@$version: $(GOFLAGS=-mod=mod go get "$module/$pkg@$version" 2>&1 | tail -n 1)"
    paths+=("paths=$module/$pkg")
  done
  "$bin/controller-gen" crd:crdVersions=v1 "${paths[@]}" "output:crd:dir=$tmp/crds/$name"
  printf '%s %s %s\n' "$name" "$module@$version" "$*" >>"$tmp/crds/SOURCES"
}
generate_all_crds() {
  generate_crds cert-manager github.com/cert-manager/cert-manager "$CERT_MANAGER_VERSION" \
    pkg/apis/certmanager/v1
  generate_crds traefik github.com/traefik/traefik/v3 "$TRAEFIK_VERSION" \
    pkg/provider/kubernetes/crd/traefikio/v1alpha1
  generate_crds prometheus-operator github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring \
    "$PROMETHEUS_OPERATOR_VERSION" v1 v1alpha1 v1beta1
  generate_crds helm-controller github.com/k3s-io/helm-controller "$HELM_CONTROLLER_VERSION" \
    pkg/apis/helm.cattle.io/v1
}
timed "generating CRDs (cert-manager $CERT_MANAGER_VERSION, Traefik $TRAEFIK_VERSION, prometheus-operator $PROMETHEUS_OPERATOR_VERSION, helm-controller $HELM_CONTROLLER_VERSION)" \
  generate_all_crds

rm -rf "$tmp/src"
cp "$here/versions.env" "$tmp/versions.env"
date -u +%FT%TZ >"$tmp/complete"
rm -rf "$out"
mv "$tmp" "$out"
echo "$out"
