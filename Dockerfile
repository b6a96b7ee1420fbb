# syntax=docker/dockerfile:1
# certkeeper as a sidecar next to Nginx. Build: docker build -t certkeeper .
# Stage 1 compiles and bundles TypeScript with the dev dependencies; stage 2 installs production dependencies
# only; the final image has those two plus tini, runs as the unprivileged `node` user (uid 1000).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY providers ./providers
COPY test ./test
COPY build ./build
# tsc, then the CLI bundled over its own paths (build/bundle.mjs): one file per command, shared chunks.
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
# tini reaps children (nginx -t, hooks) and forwards SIGTERM so TXT records get cleaned up on stop.
# No openssl: the pfx layout is built in-process (src/deploy/pfx.ts).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.0-1* \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    CERTKEEPER_CONFIG=/config/certkeeper.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/providers ./dist/providers
COPY package.json ./
COPY config ./config
RUN chmod 0755 dist/src/cli/certkeeper.cjs \
 && ln -s /app/dist/src/cli/certkeeper.cjs /usr/local/bin/certkeeper \
 && mkdir -p /data /certs /config \
 && chown node:node /data /certs
USER node
VOLUME ["/data", "/certs"]
EXPOSE 9464
# Needs server.listen in the configuration (e.g. 0.0.0.0:9464); exit 0 healthy, 1 not.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 CMD ["certkeeper", "healthcheck"]
ENTRYPOINT ["/usr/bin/tini", "--", "certkeeper"]
CMD ["run"]
