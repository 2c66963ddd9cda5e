#!/usr/bin/env bash
# Builds distribution 3.x (`registry`) and versitygw (a real S3 server on a directory) from the
# Go module proxy into a cache folder outside the repository, keyed by the pinned versions.
# A second run with the same pins only prints the folder. Prints the bin folder on its last line.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${DOCKMASTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockmaster}"
key="distribution-${DISTRIBUTION_V3_VERSION}-versitygw-${VERSITYGW_VERSION}-$(go env GOOS)-$(go env GOARCH)"
bin="$cache_root/servers/$key/bin"

if [[ -x "$bin/registry" && -x "$bin/versitygw" ]]; then
  echo "$bin"
  exit 0
fi

log() { echo "[servers-build $(date +%H:%M:%S)] $*" >&2; }
mkdir -p "$bin"
export GOTOOLCHAIN=local CGO_ENABLED=0
start=$(date +%s)
# Each into a temporary GOBIN, then renamed: an interrupted build never looks finished.
build() { # <module path of the command> <version> <binary name>
  local tmp; tmp="$(mktemp -d "$bin/.build.XXXXXX")"
  log "Building $3 $2 (first time only: a few minutes)"
  GOBIN="$tmp" go install -trimpath "$1@$2" >&2
  mv "$tmp/$3" "$bin/$3"
  rm -rf "$tmp"
  log "$3 built ($(( $(date +%s) - start ))s since start)"
}
[[ -x "$bin/registry" ]] || build github.com/distribution/distribution/v3/cmd/registry "$DISTRIBUTION_V3_VERSION" registry
[[ -x "$bin/versitygw" ]] || build github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" versitygw
echo "$bin"
