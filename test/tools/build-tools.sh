#!/usr/bin/env bash
# Builds the test tools from the Go module proxy into a cache folder outside the repository:
# helm (for the chart's lint/template/install/upgrade/uninstall tests) and promql-check (this
# folder's small program over Prometheus's rule and PromQL parsers). The key holds the pins
# and a hash of promql-check's sources, so a change rebuilds. Prints the bin folder last.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${DOCKMASTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockmaster}"
checker_hash="$(cat "$here"/promql-check/go.mod "$here"/promql-check/go.sum "$here"/promql-check/*.go | sha256sum | cut -c1-12)"
key="helm-${HELM_VERSION}-promql-check-${checker_hash}-$(go env GOOS)-$(go env GOARCH)"
bin="$cache_root/tools/$key/bin"

if [[ -x "$bin/helm" && -x "$bin/promql-check" ]]; then
  echo "$bin"
  exit 0
fi

log() { echo "[tools-build $(date +%H:%M:%S)] $*" >&2; }
mkdir -p "$bin"
export GOTOOLCHAIN=local CGO_ENABLED=0
start=$(date +%s)
# Into a temporary folder, then renamed: an interrupted build never looks finished.
if [[ ! -x "$bin/helm" ]]; then
  tmp="$(mktemp -d "$bin/.build.XXXXXX")"
  log "Building helm $HELM_VERSION (first time only: about 2 minutes)"
  GOBIN="$tmp" go install -trimpath "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
  mv "$tmp/helm" "$bin/helm"
  rm -rf "$tmp"
  log "helm built ($(( $(date +%s) - start ))s since start)"
fi
if [[ ! -x "$bin/promql-check" ]]; then
  tmp="$(mktemp -d "$bin/.build.XXXXXX")"
  log "Building promql-check ($(grep prometheus/prometheus "$here/promql-check/go.mod" | xargs))"
  (cd "$here/promql-check" && go build -trimpath -o "$tmp/promql-check" .) >&2
  mv "$tmp/promql-check" "$bin/promql-check"
  rm -rf "$tmp"
  log "promql-check built ($(( $(date +%s) - start ))s since start)"
fi
echo "$bin"
