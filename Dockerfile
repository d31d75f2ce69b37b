# ml-connector worker image. Runs TypeScript through tsx (no build step), same as development.
FROM node:20-bookworm-slim

# better-sqlite3 compiles its native module at install time; ca-certificates for TLS to
# NetSuite, Anaplan and Temporal Cloud.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .

# A heap cap bounds the container's memory; the worker's RSS stays flat without it too (bench/results.md, findings 8-9).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=512 \
    ML_CONNECTOR_DATA_DIR=/data \
    TEMPORAL_ADDRESS=temporal:7233
VOLUME ["/data"]
USER node
ENTRYPOINT ["node", "--import", "tsx", "client/cli.ts"]
CMD ["worker", "--config", "/config/ml-connector.config.json"]
