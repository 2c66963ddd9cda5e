#!/usr/bin/env bash
# The full test suite: set-up (idempotent), typecheck, lint, then every vitest project,
# including the real-service tests (docker-registry, skopeo, etcd + kube-apiserver, kubectl).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/node.sh
bin=$(bash scripts/setup.sh | tail -n 1)
export DOCKMASTER_CONTROLPLANE_BIN="$bin"
npm run --silent typecheck
npm run --silent lint
mkdir -p .tmp
npx vitest run --reporter=default --reporter=json --outputFile=.tmp/vitest-results.json "$@"
# A plain closing line any CI can read.
node -e 'const r = require("./.tmp/vitest-results.json"); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`)'
