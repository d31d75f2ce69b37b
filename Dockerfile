# ml-connector worker image, multi-stage: compiled JavaScript and a prebuilt workflow bundle, production
# dependencies only (no TypeScript, tsx, @temporalio/testing or sandboxes in the final image).
# Glibc base: the Temporal SDK's native core has no musl build (docs/temporal.md §8.2).

# 1. Build: every dependency (typescript, tsx), `npm run build` = tsc to dist/ + dist/workflow-bundle.js.
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles its native module at install time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY workflows workflows
COPY activities activities
COPY worker worker
COPY client client
COPY common common
COPY sandbox sandbox
COPY scripts scripts
# The sandboxes are compiled (the dev commands `start` and `sandbox` load them on use) but not shipped:
# production code imports none of sandbox/ (a lint rule). scripts/ are build and bench tools.
RUN npm run build \
 && rm -rf dist/sandbox dist/scripts

# 2. Production dependencies only, native modules built against this Node.
FROM node:20-bookworm-slim AS prod-deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# 3. Runtime: node, ca-certificates (TLS to NetSuite, Anaplan, Temporal Cloud), the compiled app.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=prod-deps /app/node_modules node_modules
COPY package.json ./
COPY bin bin
COPY --from=build /app/dist dist

# A heap cap bounds the container's memory; the worker's RSS stays flat without it too (bench/results.md).
# Young generation capped at 8 MB a semi-space (V8's default on 64-bit: 16), in the main isolate and the
# workflow thread alike: the worker's allocations are short-lived buffers and rows, so the smaller nursery
# costs a few more scavenges (worker CPU within the runs' noise) and keeps ~20 MB less resident at peak.
# Two glibc malloc arenas instead of 8 per core: the native side (the Temporal core's threads, libuv's
# pool, better-sqlite3) otherwise strands freed memory in per-thread arenas; 40 cycles on 20 models
# peaked ~30 MB lower (README "Configuration"). V8's heaps do not use malloc, so the JS side is unaffected.
# Metrics on 9464 (Prometheus's conventional exporter port range), all interfaces inside the container.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=512 --max-semi-space-size=8" \
    MALLOC_ARENA_MAX=2 \
    ML_CONNECTOR_DATA_DIR=/data \
    ML_CONNECTOR_METRICS_PORT=9464 \
    ML_CONNECTOR_METRICS_HOST=0.0.0.0 \
    TEMPORAL_ADDRESS=temporal:7233
EXPOSE 9464
VOLUME ["/data"]
USER node
ENTRYPOINT ["node", "dist/client/cli.js"]
CMD ["worker", "--config", "/config/ml-connector.config.json"]
