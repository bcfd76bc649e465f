# syntax=docker/dockerfile:1
# The shaservice image: built in one stage, run from a second that holds only production dependencies,
# the compiled code and the API spec. Layers go from rarely to often changed, so a code edit reuses the
# dependency layers.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY service ./service
RUN npm run build

FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# V8's own heap limit bounds resident memory: left at its default (a quarter of the machine's memory) the old
# generation grows to several times what is live, 400 MiB for a 64 MiB cache under a bulk load. With these, a
# full cache stays near 210 MiB resident. Under such a cap V8 would also collect three times as often; the
# service undoes that at start-up (service/heap.ts). The chart sets the same (nodeOptions), and the service
# refuses to start when CACHE_MAX_BYTES does not fit in the heap it is given.
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=8"
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY package.json openapi.yaml ./
COPY --from=build /app/dist ./dist
# uid 1000 is `node` in the official image; a number (not a name) lets Kubernetes check runAsNonRoot.
USER 1000:1000
EXPOSE 8080 9464
# node itself is PID 1 (no npm, no shell), so SIGTERM reaches the service's graceful shutdown.
CMD ["node", "dist/main.js"]
