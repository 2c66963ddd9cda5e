#!/usr/bin/env bash
# The full test suite: set-up (idempotent), typecheck, lint, then every vitest project,
# including the real-service tests (docker-registry, skopeo, etcd + kube-apiserver, kubectl).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=$(bash scripts/setup.sh | tail -n 1)
export DOCKMASTER_CONTROLPLANE_BIN="$bin"
npm run --silent typecheck
npm run --silent lint
npx vitest run "$@"
