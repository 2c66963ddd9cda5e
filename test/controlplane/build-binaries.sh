#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kube-controller-manager from the Go module proxy into a cache
# folder outside the repository, keyed by the pinned versions. A second run with the same pins
# only prints the folder. Prints the folder holding the binaries on its last line.
#
# Why wrapper modules: k8s.io/kubernetes maps its staging modules (k8s.io/api, k8s.io/client-go …)
# to ./staging/... with replace lines, and Go ignores a dependency's replaces, so a module that
# requires k8s.io/kubernetes must carry the same replaces, pointed at the published v0.X.Y tags.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${DOCKMASTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockmaster}"
key="k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-$(go env GOOS)-$(go env GOARCH)"
out="$cache_root/controlplane/$key"
bin="$out/bin"

if [[ -x "$bin/etcd" && -x "$bin/kube-apiserver" && -x "$bin/kube-controller-manager" ]]; then
  echo "$bin"
  exit 0
fi

log() { echo "[controlplane-build $(date +%H:%M:%S)] $*" >&2; }
mkdir -p "$bin" "$out/src"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
start=$(date +%s)

# --- etcd ---------------------------------------------------------------------------------
if [[ ! -x "$bin/etcd" ]]; then
  log "Building etcd $ETCD_VERSION (first time only)"
  src="$out/src/etcd"; rm -rf "$src"; mkdir -p "$src"
  cat > "$src/main.go" <<'GO'
// Command etcd is the etcd server, built from the pinned go.etcd.io/etcd/server/v3 module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$src" && go mod init dockmaster.local/etcd >/dev/null 2>&1 \
    && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >&2 \
    && go mod tidy >&2 \
    && CGO_ENABLED=0 go build -trimpath -o "$bin/etcd.tmp" . >&2)
  mv "$bin/etcd.tmp" "$bin/etcd"
  log "etcd built in $(( $(date +%s) - start ))s"
fi

# --- kube-apiserver and kube-controller-manager --------------------------------------------
if [[ ! -x "$bin/kube-apiserver" || ! -x "$bin/kube-controller-manager" ]]; then
  log "Building kube-apiserver and kube-controller-manager $KUBERNETES_VERSION (first time only: many minutes, several GiB)"
  src="$out/src/kubernetes"; rm -rf "$src"; mkdir -p "$src"
  go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" > "$src/download.json"
  upstream_mod=$(sed -n 's/.*"GoMod": "\(.*\)",*/\1/p' "$src/download.json")
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  go_line=$(grep -m1 '^go ' "$upstream_mod")
  {
    echo "module dockmaster.local/kubernetes"
    echo
    echo "$go_line"
    grep '^godebug' "$upstream_mod" | sort -u || true
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    # Every staging module the pinned release maps to ./staging, at the matching v0.X.Y tag.
    grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging/' "$upstream_mod" \
      | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$src/go.mod"
  cat > "$src/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
GO
  (cd "$src" && go mod tidy >&2)
  minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  pkg=k8s.io/component-base/version
  ldflags="-s -w -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  ldflags+=" -X $pkg.gitCommit=0000000000000000000000000000000000000000"
  for cmd in kube-apiserver kube-controller-manager; do
    if [[ ! -x "$bin/$cmd" ]]; then
      log "Compiling $cmd"
      (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" >&2)
      mv "$bin/$cmd.tmp" "$bin/$cmd"
      log "$cmd built ($(( $(date +%s) - start ))s since start)"
    fi
  done
fi
log "Control-plane binaries ready in $bin ($(( $(date +%s) - start ))s)"
echo "$bin"
