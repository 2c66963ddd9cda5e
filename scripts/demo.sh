#!/usr/bin/env bash
# The demo: local control plane, operator, a real registry, sample images, retention and
# admission at work. `--once` runs it through and exits (CI); otherwise it stays up until Ctrl-C.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/node.sh
bin=$(bash scripts/setup.sh | tail -n 1)
export DOCKMASTER_CONTROLPLANE_BIN="$bin"
exec npx tsx scripts/demo.ts "$@"
