# The fakecri image: `fakecri` as the entrypoint, `serve` by default.
# Build from the repository root (README "Hollow nodes on a real cluster"), daemonless:
#   buildah bud -f deploy/fakecri.Dockerfile -t localhost/fakecri:0.1.0 .
# (podman build and docker build take the same arguments). It pulls node:20-slim;
# deploy/build-images.sh --debian-base builds without Docker Hub.
ARG NODE_IMAGE=docker.io/library/node:20-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Behind a TLS-intercepting proxy: its CA, mounted for the build (build-images.sh --ca-file).
ARG NODE_EXTRA_CA_CERTS
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY proto ./proto
COPY src ./src
RUN npm run gen && node_modules/.bin/tsc -p . && chmod +x dist/cli/main.js \
 && rm -rf node_modules && npm ci --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
WORKDIR /app
# package.json: the version; proto/: the CRI schema, loaded at run time.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/proto ./proto
COPY --from=build /app/dist ./dist
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve"]
