# dockmaster operator image. Build: docker build -t dockmaster:dev .
# Three stages so the runtime image holds production dependencies only: dev dependencies
# (typescript, vitest, eslint …) exist in the build stage and never reach the final image.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="dockmaster" \
      org.opencontainers.image.description="Kubernetes operator that runs container registries declaratively" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/dockmaster-dev/dockmaster"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /src/node_modules ./node_modules
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
