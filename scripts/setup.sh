#!/usr/bin/env bash
# Installs everything dockmaster's tests and demo need, idempotently, on a fresh machine:
# Debian's docker-registry (distribution 2.8.2) and skopeo, the npm packages, distribution 3.1.2
# and versitygw, helm and promql-check (test tools), and etcd + kube-apiserver + kube-controller-manager, all built from the Go
# module proxy into a cache outside the repository. Prints the control-plane bin folder on its last line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/node.sh

log() { echo "[setup] $*" >&2; }

missing=()
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)
if ((${#missing[@]})); then
  log "Installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >&2
fi
# The Debian package starts a registry service on :5000; tests start their own on free ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl stop docker-registry >/dev/null 2>&1 || true
fi

# npm ci only when the lock file changed since the last install (it wipes node_modules).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "Installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >&2
fi

# distribution 3.1.2 and versitygw (S3), built from the Go module proxy into the same cache
# (a few minutes the first time), for the registry-facing suites' version matrix.
bash test/servers/build-binaries.sh >&2
bash test/tools/build-tools.sh >&2
bash test/controlplane/build-binaries.sh
