# syntax=docker/dockerfile:1
#
# The portal's production image. One image, three process kinds, chosen by the command:
#   web (default)  node --import tsx lib/cli/start.ts      validates config, runs the standalone Next server
#   worker         node --import tsx workers/index.ts      WORKER_QUEUES picks the queues
#   migrate        node --import tsx lib/cli/db-migrate.ts prisma migrate deploy, before a new version serves
#   api            node --import tsx api/main.ts           the services API (/api/v1), as its own replicas
# No secrets at build time; none in the image. Read-only root filesystem: the only writable
# places are /tmp and the Next cache, both volumes (README "Deploy", docs/decisions/0016).
#
# Pinned by version; pin by digest too (node:20.20.2-bookworm-slim@sha256:…) in your registry.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- all dependencies, for the build -------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the only install script is our own postinstall (prisma generate), which
# needs the sources; the build stage runs it.
RUN npm ci --ignore-scripts --no-audit --no-fund

# ---- production dependencies only, for the runtime -----------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- build: Prisma client, next build (output: "standalone"), static assets beside it ----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# Next.js fixes the target of the /api/v1 rewrite at build time. Where the services API runs as
# a Deployment of its own, build with its Service's URL (deploy/config.yaml, API_INTERNAL_URL);
# empty means an API server next to the web server (127.0.0.1:API_PORT).
ARG API_INTERNAL_URL=""
RUN API_INTERNAL_URL="${API_INTERNAL_URL}" npm run build

# ---- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# HOSTNAME: the standalone server binds to it, and container runtimes set it to the container's
# name. HOME and the npm cache point into /tmp, the one writable place besides the Next cache.
# CHECKPOINT_DISABLE: no update check from the Prisma CLI (migrations), which egress would block.
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    PORT=3000 \
    HOSTNAME=0.0.0.0 \
    HOME=/tmp \
    npm_config_cache=/tmp/.npm \
    npm_config_update_notifier=false \
    CHECKPOINT_DISABLE=1
RUN groupadd --system --gid 10001 jit \
 && useradd --system --uid 10001 --gid jit --no-create-home --home-dir /tmp --shell /usr/sbin/nologin jit
# Everything below stays owned by root and read-only to the app's user.
# The web server: the traced, self-contained standalone output (its own node_modules).
COPY --from=build /app/.next/standalone ./.next/standalone
# The worker, migrations and the CLI entries run from source through tsx, on production
# dependencies only (tsx and the Prisma CLI are among them).
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json /app/tsconfig.json /app/prisma.config.ts ./
COPY --from=build /app/lib ./lib
COPY --from=build /app/workers ./workers
COPY --from=build /app/prisma ./prisma
# The services API (api/main.ts), run as its own Deployment's command.
COPY --from=build /app/api ./api
USER 10001:10001
EXPOSE 3000
# For `docker run` and compose; Kubernetes ignores it and uses the Deployment's probes. Worker
# containers serve no HTTP: disable it for them (compose: `healthcheck: {disable: true}`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--import", "tsx", "lib/cli/start.ts"]
