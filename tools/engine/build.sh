#!/usr/bin/env bash
# Builds the Pulumi CLI, the Node.js language host and the resource plugins from Go modules (issue 8)
# and installs the plugins into a PULUMI_HOME, once per machine: the result is cached under a key made
# of the pinned versions and the go.mod/go.sum hashes. Prints the cache directory on stdout.
#
# Usage: tools/engine/build.sh            (build if needed, print the directory)
#        ENGINE_REBUILD=1 tools/engine/build.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/secure-workshop/engine

log() { printf 'engine: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "go is not on PATH (Go 1.26 builds the engine)"

# The plugin versions are the ones the installed npm SDKs ask the engine for (pulumi.version).
npm_plugin_version() {
  local pkg="$repo/node_modules/@pulumi/$1/package.json"
  [[ -f $pkg ]] || die "$pkg is missing: run npm install first"
  node -e 'const p = require(process.argv[1]); process.stdout.write((p.pulumi && p.pulumi.version) || p.version)' "$pkg"
}

# Source versions pinned in go.mod (the module proxy decides what exists; see README.md).
cli_version=v3.274.1
k8s_source_version=4.25.0
k8s_module=github.com/pulumi/pulumi-kubernetes/provider/v4
k8s_plugin_version=$(npm_plugin_version kubernetes)
random_plugin_version=$(npm_plugin_version random)
tls_plugin_version=$(npm_plugin_version tls)

key_input() {
  go env GOVERSION GOOS GOARCH
  echo "$cli_version $k8s_source_version"
  echo "kubernetes=$k8s_plugin_version random=$random_plugin_version tls=$tls_plugin_version"
  (cd "$here" && sha256sum build.sh go.mod go.sum langhost/main.go \
    providers/kubernetes/go.mod providers/kubernetes/go.sum providers/kubernetes/main.go)
}
key=$(key_input | sha256sum | cut -c1-16)
out="$cache_root/cli-${cli_version#v}-k8s-$k8s_plugin_version-$key"

if [[ -f $out/complete && -z ${ENGINE_REBUILD:-} ]]; then
  echo "$out"
  exit 0
fi

# A private scratch directory, so two builds at once do not trip over each other.
tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/src" "$tmp/home"
bin="$tmp/bin"

# -trimpath keeps the compile cache valid across checkouts in different directories.
export GOFLAGS="${GOFLAGS:-} -mod=readonly -trimpath -p=${ENGINE_GO_PARALLEL:-2}"
gobuild() { nice -n "${ENGINE_NICE:-19}" go build "$@"; }
timed() {
  local name=$1 start=$SECONDS
  shift
  log "building $name ..."
  ("$@")
  log "built $name in $((SECONDS - start))s"
}

build_cli() {
  cd "$here"
  gobuild -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version" \
    -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}
# Our own minimal language host (langhost/main.go explains why), built against the CLI's sdk/v3.
build_langhost() {
  cd "$here"
  gobuild -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version" \
    -o "$bin/pulumi-language-nodejs" ./langhost
}
timed "pulumi $cli_version" build_cli
timed "pulumi-language-nodejs (own, sdk $cli_version)" build_langhost

# The upstream main package embeds a generated schema the module zip lacks: build our main.go in a
# scratch copy with the schema copied from the module cache.
build_kubernetes() {
  local src="$tmp/src/kubernetes" dir
  mkdir -p "$src"
  cp "$here/providers/kubernetes/go.mod" "$here/providers/kubernetes/go.sum" \
    "$here/providers/kubernetes/main.go" "$src/"
  cd "$src"
  go mod download "$k8s_module"
  dir=$(go list -m -f '{{.Dir}}' "$k8s_module")
  cp "$dir/cmd/pulumi-resource-kubernetes/schema.json" schema-embed.json
  cp "$dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" terraform-mapping.json
  chmod u+w schema-embed.json terraform-mapping.json
  gobuild -ldflags "-s -w -X $k8s_module/pkg/version.Version=$k8s_source_version" \
    -o "$bin/pulumi-resource-kubernetes" .
}
timed "pulumi-resource-kubernetes (source $k8s_source_version)" build_kubernetes

# random and tls: record why they cannot be built instead of failing the whole engine, as
# "<name> <version>: <command>" followed by the command's answer (tools/engine/automation.ts reads it).
probe_unavailable() {
  local name=$1 module=$2 version=$3 probe="$tmp/src/probe-$1" err
  mkdir -p "$probe"
  printf 'module probe\n\ngo 1.26\n' >"$probe/go.mod"
  if ! err=$(cd "$probe" && go list -m -versions "$module" 2>&1); then
    printf '%s %s: go list -m -versions %s\n%s\n' "$name" "$version" "$module" "$err" >>"$tmp/unavailable.txt"
  elif ! err=$(cd "$probe" && GOFLAGS=-mod=mod go mod download "$module@v$version" 2>&1); then
    printf '%s %s: go mod download %s@v%s\n%s\n' "$name" "$version" "$module" "$version" "$err" \
      >>"$tmp/unavailable.txt"
  else
    printf '%s %s: %s@v%s is downloadable now, but build.sh has no recipe for it yet\n' \
      "$name" "$version" "$module" "$version" >>"$tmp/unavailable.txt"
  fi
}
probe_unavailable random github.com/pulumi/pulumi-random/provider/v4 "$random_plugin_version"
probe_unavailable tls github.com/pulumi/pulumi-tls/provider/v5 "$tls_plugin_version"

# Plugins go into the cache's own PULUMI_HOME; nothing is fetched from the network.
export PULUMI_HOME="$tmp/home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# The Kubernetes slot the SDK asks for is filled by the nearest provider source the proxy has.
"$bin/pulumi" plugin install resource kubernetes "$k8s_plugin_version" \
  --file "$bin/pulumi-resource-kubernetes" --non-interactive >&2
rm "$bin/pulumi-resource-kubernetes"
if [[ $k8s_plugin_version != "$k8s_source_version" ]]; then
  printf 'kubernetes %s: served by provider source %s (%s@%s is not in the module proxy)\n' \
    "$k8s_plugin_version" "$k8s_source_version" "$k8s_module" "v$k8s_plugin_version" >>"$tmp/substituted.txt"
fi

rm -rf "$tmp/src"
date -u +%FT%TZ >"$tmp/complete"
rm -rf "$out"
mv "$tmp" "$out"
# PULUMI_HOME stores absolute plugin paths nowhere, so moving the directory is safe.
echo "$out"
