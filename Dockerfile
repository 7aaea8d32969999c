# MCP gateway image. Build: docker build -t mcp-gateway .
#
# Run the gateway (data plane, port 5235) on the bundled sample configs:
#   docker run --rm -p 5235:5235 -v mcp-data:/data mcp-gateway
# with your own config repository (a directory mounted read-only; GATEWAY_* variables set the rest):
#   docker run --rm -p 5235:5235 -v mcp-data:/data -v "$PWD/my-config:/config:ro" \
#     -e GATEWAY_CONFIG=/config -e GATEWAY_ALLOWED_NETWORKS=10.0.0.0/8 mcp-gateway
# Run the admin console (port 5234, planned) from the same image by overriding the command (the health
# check probes the gateway's port, hence --no-healthcheck):
#   docker run --rm --no-healthcheck -p 5234:5234 -v mcp-data:/data mcp-gateway bun admin/main.ts

FROM oven/bun:1.4 AS deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production

FROM oven/bun:1.4 AS runtime
WORKDIR /app
# git: the gateway clones and fetches git config sources with the git command.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
ENV GATEWAY_HOST=0.0.0.0 \
    DATA_DIR=/data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY gateway ./gateway
COPY admin ./admin
COPY views ./views
COPY demo ./demo
COPY config-repo ./config-repo
# Clones of git config sources and other state live in /data, a volume owned by the non-root user.
RUN mkdir -p /data && chown bun:bun /data
VOLUME /data
USER bun
EXPOSE 5235 5234
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:5235/health_check').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
CMD ["bun", "gateway/main.ts"]
