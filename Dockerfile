# syntax=docker/dockerfile:1
# certkeeper as a sidecar next to Nginx: build with dev dependencies, ship production ones only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund
COPY src ./src
COPY providers ./providers
COPY test ./test
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/providers ./dist/providers
COPY config ./config
RUN mkdir -p /data /certs && chown node:node /data /certs
USER node
VOLUME ["/data", "/certs"]
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["renew", "--now", "--config", "/config/certkeeper.yaml"]
