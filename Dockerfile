# syntax=docker/dockerfile:1
# draftbridge: Node 24 runs the TypeScript sources directly (type stripping), so there is no build
# output to copy; the first stage only installs production dependencies.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY connectors ./connectors
# Test doubles: `docker compose up` runs the sandbox by default (tools/ stay out of the image).
COPY sandbox ./sandbox
COPY config ./config
# Never run as root; the sandbox writes its generated CA below /app/.sandbox.
RUN mkdir -p /app/.sandbox && chown node:node /app/.sandbox
USER node
# Heap limits (see README, Throughput): live memory is about 105–120 MB with 1,000 LLM calls in
# flight; without limits V8 lets garbage grow the RSS past 400 MB before collecting.
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=160"
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM reaches node directly (exec form), which drains workers before exiting.
STOPSIGNAL SIGTERM
CMD ["node", "bin/draftbridge.mjs", "serve", "all"]
