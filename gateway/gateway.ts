/**
 * Wires one gateway process together from its settings: config source → reconciler → route table →
 * MCP transport → HTTP server, plus the reload triggers (webhook, poll, file watch; SIGHUP in main.ts).
 * `main.ts` calls this; tests call it with port 0.
 */
import pkg from '../package.json' with { type: 'json' };
import type { GatewaySettings } from './config/schema.ts';
import { envAllowed } from './config/settings.ts';
import { openSource, type ConfigSource } from './config/sources/index.ts';
import { McpTransport } from './mcp/index.ts';
import { createLogger, logFn, type Logger } from './obs/log.ts';
import { GatewayMetrics } from './obs/metrics.ts';
import { Reconciler, type ReloadResult } from './reconcile.ts';
import { verifyWebhook } from './reload/webhook.ts';
import type { RouterAuthenticator } from './routing/endpoint.ts';
import { compileTable, RouteTable, type TableRuntime, TableSwitch } from './routing/table.ts';
import { createGatewayApp, type GatewayStatus } from './server.ts';
import { createSsrfGuard } from './tools/index.ts';
import { UpstreamPool } from './upstream/index.ts';

export const VERSION: string = pkg.version;

/** Largest webhook body read; push payloads of the common git hosts are far smaller. */
const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly routes: TableSwitch;
  readonly transport: McpTransport;
  readonly metrics: GatewayMetrics;
  readonly reconciler: Reconciler;
  /** The upstream MCP servers (mcpServers) this process runs or connects to. */
  readonly upstreams: UpstreamPool;
  /** Triggers a reload as SIGHUP or the poll timer would. */
  reload(reason?: string): Promise<ReloadResult>;
  /** Drains in-flight calls (up to `deadlineMs`), closes streams and stops listening. */
  stop(deadlineMs?: number): Promise<void>;
}

/** A router's auth as /_status shows it: mode and issuer only. */
function authStatus(auth: RouterAuthenticator | undefined): { mode: string; issuer: string } | undefined {
  return auth === undefined ? undefined : { mode: auth.mode, issuer: auth.issuer };
}

/** Starts a gateway. A first revision that fails to load leaves it up, answering 503 until a good one lands. */
export async function startGateway(
  settings: GatewaySettings,
  opts: { logger?: Logger; env?: Record<string, string | undefined>; source?: ConfigSource } = {},
): Promise<RunningGateway> {
  const logger = opts.logger ?? createLogger(settings.log.level);
  const log = logFn(logger);
  const env = opts.env ?? process.env;

  // One pool per process: a reload that keeps an mcpServers entry keeps its connection (and children).
  const upstreams = new UpstreamPool({ log });
  const runtime: TableRuntime = {
    env: envAllowed(settings.security.envAllowlist, env),
    guard: createSsrfGuard({ allowedNetworks: settings.security.allowedNetworks }),
    defaultTimeoutMs: settings.tools.timeout,
    maxResponseBytes: settings.tools.maxResponseBytes,
    log,
    upstreams: { pool: upstreams, allowStdio: settings.security.allowStdio },
  };

  const metrics = new GatewayMetrics({ defaultMetrics: true });
  metrics.setUpstreams(() => upstreams.health());
  const routes = new TableSwitch(new RouteTable('none', []));
  const transport = new McpTransport({
    maxRequestBytes: settings.security.maxRequestBytes,
    log,
    hooks: {
      onRpc: (ep, method, outcome, seconds) => metrics.rpc(ep.prefix, method, outcome, seconds),
      onToolCall: (ep, tool, outcome, seconds) => metrics.toolCall(ep.prefix, tool, outcome, seconds),
      onSession: (kind, delta) => metrics.session(kind, delta),
    },
  });

  const source = opts.source ?? openSource({ config: settings.config, branch: settings.branch, dataDir: settings.dataDir, env });
  const reconciler = new Reconciler({
    source,
    routes,
    compile: (revision, configs) => compileTable(revision, configs, runtime),
    onSwap: (next) => transport.onTableSwap((prefix) => next.get(prefix)),
    onResult: (r) => {
      const st = reconciler.status();
      metrics.reload(r.outcome, r.seconds, st.lastAppliedRevision !== undefined && st.lastAppliedRevision === st.lastAttemptedRevision);
      if (r.outcome === 'applied' && r.revision) metrics.setRevision(r.revision);
    },
    drainMs: settings.reload.drain * 1000,
    minIntervalMs: settings.reload.debounce,
    log,
  });

  const first = await reconciler.trigger('startup');
  if (first.outcome !== 'applied') {
    for (const issue of first.issues) log('error', 'config issue', { issue });
  }

  const status = (): GatewayStatus => {
    const st = reconciler.status();
    return {
      ready: reconciler.ready,
      reason: st.ready.issues.length ? `${st.ready.message}: ${st.ready.issues.join('; ')}` : st.ready.message,
      revision: st.lastAppliedRevision,
      doc: () => ({
        ...st,
        source: { kind: source.kind, description: source.description, branch: source.kind === 'git' ? settings.branch : undefined },
        routers: [...routes.current.endpoints.values()].map((ep) => ({
          prefix: ep.prefix,
          tenant: ep.tenant,
          config: ep.configName,
          server: ep.serverName,
          auth: authStatus(routes.current.authOf(ep)),
        })),
        sessions: transport.counts(),
        // No secrets: the hash, rendered headers and the stderr tail stay out of this unauthenticated page.
        upstreams: upstreams.health().map((h) => ({
          name: h.name,
          type: h.type,
          state: h.state,
          since: h.since,
          lastError: h.lastError,
          restarts: h.restarts,
          sessions: h.sessions,
          pid: h.pid,
        })),
        version: VERSION,
      }),
    };
  };

  const reloadWebhook = async (req: Request): Promise<Response> => {
    const declared = Number(req.headers.get('content-length') ?? '0');
    if (declared > MAX_WEBHOOK_BYTES) return Response.json({ error: { code: 'too_large', message: 'webhook body too large' } }, { status: 413 });
    const body = new Uint8Array(await req.arrayBuffer());
    if (body.byteLength > MAX_WEBHOOK_BYTES) return Response.json({ error: { code: 'too_large', message: 'webhook body too large' } }, { status: 413 });
    const verdict = verifyWebhook({ headers: req.headers, body }, { secret: settings.security.webhookSecret, branch: settings.branch });
    if (!verdict.ok) {
      log('warn', 'webhook refused', { reason: verdict.reason });
      return Response.json({ error: { code: verdict.status === 401 ? 'unauthorized' : 'bad_request', message: verdict.reason } }, { status: verdict.status });
    }
    if (!verdict.trigger) return Response.json({ triggered: false, reason: verdict.reason }, { status: 200 });
    const pending = reconciler.trigger(`webhook (${verdict.source})`);
    // `?wait=1` answers with the reload's outcome, for callers (the admin console) that report it.
    if (new URL(req.url).searchParams.has('wait')) {
      const r = await pending;
      return Response.json({ triggered: true, outcome: r.outcome, revision: r.revision ?? null, message: r.message, issues: r.issues }, { status: 200 });
    }
    pending.catch(() => undefined);
    return Response.json({ triggered: true, reason: verdict.reason }, { status: 202 });
  };

  const app = createGatewayApp({ routes, transport, metrics, status, version: VERSION, reload: reloadWebhook });
  // SSE streams send a keep-alive comment every 15 s; Bun's default idle timeout (10 s) would cut them.
  try {
    app.listen({ hostname: settings.host, port: settings.port, idleTimeout: 60, maxRequestBodySize: settings.security.maxRequestBytes });
    if (!app.server) throw new Error('gateway: server did not start');
  } catch (err) {
    // onStart upstreams may already run children: none may outlive a gateway that did not start.
    await reconciler.close();
    await upstreams.closeAll();
    await source.close();
    throw err;
  }
  const server = app.server;
  const port = server.port ?? settings.port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${port}`;
  log('info', 'gateway listening', { url, revision: routes.current.revision, routers: routes.current.endpoints.size });

  // Triggers besides the webhook: a poll as fallback, and the file watcher of a directory source.
  const timers: Array<() => void> = [];
  if (settings.reload.pollInterval > 0) {
    const t = setInterval(() => void reconciler.trigger('poll'), settings.reload.pollInterval * 1000);
    t.unref?.();
    timers.push(() => clearInterval(t));
  }
  if (source.watch) {
    let debounce: ReturnType<typeof setTimeout> | undefined;
    const unwatch = source.watch(() => {
      clearTimeout(debounce);
      debounce = setTimeout(() => void reconciler.trigger('file change'), settings.reload.debounce);
      debounce.unref?.();
    });
    timers.push(() => {
      clearTimeout(debounce);
      unwatch();
    });
  }

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    routes,
    transport,
    metrics,
    reconciler,
    upstreams,
    reload: (reason = 'manual') => reconciler.trigger(reason),
    stop(deadlineMs = 10_000) {
      stopped ??= (async () => {
        for (const cancel of timers) cancel();
        const deadline = Date.now() + deadlineMs;
        await transport.drain(deadlineMs);
        // Let the responses of drained calls reach their clients before connections are cut.
        const graceful = app.server?.stop(false);
        const left = Math.max(0, deadline - Date.now());
        await Promise.race([graceful, Bun.sleep(Math.min(left, 2_000))]);
        await app.stop(true);
        await reconciler.close();
        const last = routes.swap(new RouteTable('none', []));
        await Promise.all([...last.endpoints.values()].map((ep) => ep.close?.().catch(() => undefined)));
        // Every upstream child is reaped before stop resolves (SIGKILL to process groups past the deadline).
        await upstreams.closeAll(Math.max(1000, deadline - Date.now()));
        await source.close();
        log('info', 'gateway stopped');
        logger.flush();
      })();
      return stopped;
    },
  };
}
