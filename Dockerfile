# dockmaster operator image. Build: docker build -t dockmaster:dev .
# Two stages: the build stage type-checks and bundles (scripts/bundle.ts: our code and every
# dependency in one esbuild bundle with on-demand chunks); the runtime image holds that bundle and
# no node_modules at all, so no dev dependency, package manager cache or unused module reaches it.

# Node.js 24 LTS, the runtime the tests run on (scripts/node.sh; docs/benchmarks.md).
ARG NODE_IMAGE=node:24.19.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.ts ./scripts/
COPY scripts/bundle-shims ./scripts/bundle-shims
COPY src ./src
RUN npx tsc -p tsconfig.build.json --noEmit && npm run build

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="dockmaster" \
      org.opencontainers.image.description="Kubernetes operator that runs container registries declaratively" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/dockmaster-dev/dockmaster"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY crds ./crds
# Numeric non-root user (the image's `node` user is 1000) so runAsNonRoot can verify it; the
# process writes nothing to the root filesystem, so readOnlyRootFilesystem: true works.
USER 1000:1000
EXPOSE 8443 8080
ENTRYPOINT ["node", "/app/bin/dockmaster.js"]
CMD ["operator"]
