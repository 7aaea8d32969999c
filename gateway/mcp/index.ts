/**
 * The MCP server side of the gateway: JSON-RPC over Streamable HTTP (`/{prefix}/mcp`) and the legacy
 * HTTP+SSE transport (`/{prefix}/sse` + `/{prefix}/message`), for whatever Endpoint the route table
 * resolved. Knows nothing about configs or REST: every request is served by the Endpoint passed in,
 * the live one, so after a reload calls reach the new table.
 */
import type { AuthVerdict, Endpoint, RouterAuthenticator } from '../routing/endpoint.ts';
import { authRefusal } from './auth.ts';
import type { TransportCore } from './core.ts';
import { checkOrigin, type CorsHeaders, forbiddenOrigin, preflight } from './cors.ts';
import { Dispatcher, type LogFn, type TransportHooks } from './dispatch.ts';
import { rpcError } from './http.ts';
import { notificationBody, SERVER_ERROR } from './jsonrpc.ts';
import { SessionStore } from './session.ts';
import { LegacySseTransport, MESSAGE_ALLOW, SSE_ALLOW } from './sse.ts';
import { SseHub } from './sse-writer.ts';
import { STREAMABLE_ALLOW, StreamableTransport } from './streamable.ts';

export { protectedResourceMetadata, RESOURCE_METADATA_PATH } from './auth.ts';
export type { TransportHooks } from './dispatch.ts';
export { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from './protocol.ts';

export type McpRouteKind = 'mcp' | 'sse' | 'message';

export interface McpTransportOptions {
  /** Largest accepted request body; beyond it 413 with a JSON-RPC error. */
  maxRequestBytes: number;
  /** SSE keep-alive comment interval (default 15000). */
  keepAliveMs?: number;
  /** Idle Streamable HTTP sessions (no stream, no call in flight) expire after this long (default 30 min). */
  sessionIdleMs?: number;
  /** How long a relayed server→client request (sampling, elicitation) waits for the client (default 10 min). */
  clientRequestTimeoutMs?: number;
  hooks?: TransportHooks;
  /** Clock for session expiry; tests inject one. */
  now?: () => number;
  log?: LogFn;
}

const TOOLS_CHANGED = notificationBody('notifications/tools/list_changed');
const PROMPTS_CHANGED = notificationBody('notifications/prompts/list_changed');
const noLog: LogFn = () => undefined;

function methodNotAllowed(allow: string, cors: Readonly<Record<string, string>> | undefined): Response {
  return rpcError(405, SERVER_ERROR, 'Method not allowed.', cors === undefined ? { allow } : { ...cors, allow });
}

/** Serves MCP for Endpoints; one per process. */
export class McpTransport {
  private readonly core: TransportCore;
  private readonly streamable: StreamableTransport;
  private readonly legacy: LegacySseTransport;
  private draining = false;
  private drained: Promise<void> | undefined;

  constructor(opts: McpTransportOptions) {
    const log = opts.log ?? noLog;
    const now = opts.now ?? Date.now;
    const onSession = opts.hooks?.onSession;
    const store = new SessionStore({
      idleMs: opts.sessionIdleMs ?? 30 * 60_000,
      now,
      clientRequestTimeoutMs: opts.clientRequestTimeoutMs,
      log,
      onCount: onSession === undefined ? undefined : (transport, delta) => onSession.call(opts.hooks, transport, delta),
    });
    this.core = {
      store,
      dispatcher: new Dispatcher(opts.hooks, log),
      hub: new SseHub(opts.keepAliveMs ?? 15_000),
      maxRequestBytes: opts.maxRequestBytes,
      now,
      log,
    };
    this.streamable = new StreamableTransport(this.core);
    this.legacy = new LegacySseTransport(this.core);
  }

  /**
   * Serves one HTTP request for `endpoint` (the live Endpoint of the request's prefix). With `auth` (the
   * router's), every request but a CORS preflight must carry a token it accepts.
   */
  handle(req: Request, endpoint: Endpoint, kind: McpRouteKind, auth?: RouterAuthenticator): Promise<Response> | Response {
    const cors = checkOrigin(req, endpoint.cors);
    if (cors === false) return forbiddenOrigin();
    const method = req.method;
    if (method === 'OPTIONS') {
      return preflight(req, endpoint.cors, kind === 'mcp' ? STREAMABLE_ALLOW : kind === 'sse' ? SSE_ALLOW : MESSAGE_ALLOW);
    }
    if (this.draining) return rpcError(503, SERVER_ERROR, 'Service Unavailable: the gateway is shutting down', cors);
    if (auth !== undefined) {
      return auth.verify(req.headers.get('authorization')).then((verdict) => this.authorized(req, endpoint, kind, auth, verdict, cors));
    }
    return this.route(req, endpoint, kind, cors, undefined);
  }

  private authorized(
    req: Request,
    endpoint: Endpoint,
    kind: McpRouteKind,
    auth: RouterAuthenticator,
    verdict: AuthVerdict,
    cors: CorsHeaders,
  ): Promise<Response> | Response {
    if (!verdict.ok) {
      if (verdict.status !== 503) this.core.log('debug', 'mcp: request refused by auth', { prefix: endpoint.prefix, status: verdict.status, reason: verdict.message });
      return authRefusal(req, endpoint.prefix, auth, verdict, cors);
    }
    return this.route(req, endpoint, kind, cors, verdict.principal);
  }

  private route(req: Request, endpoint: Endpoint, kind: McpRouteKind, cors: CorsHeaders, principal: string | undefined): Promise<Response> | Response {
    const method = req.method;
    switch (kind) {
      case 'mcp':
        if (method === 'POST') return this.streamable.post(req, endpoint, cors, principal);
        if (method === 'GET') return this.streamable.get(req, endpoint, cors, principal);
        if (method === 'DELETE') return this.streamable.delete(req, endpoint, cors, principal);
        return methodNotAllowed(STREAMABLE_ALLOW, cors);
      case 'sse':
        return method === 'GET' ? this.legacy.open(req, endpoint, cors, principal) : methodNotAllowed(SSE_ALLOW, cors);
      case 'message':
        return method === 'POST' ? this.legacy.message(req, endpoint, cors, principal) : methodNotAllowed(MESSAGE_ALLOW, cors);
    }
  }

  /** Live sessions per transport (for the gauge). */
  counts(): { streamable: number; sse: number } {
    return this.core.store.counts();
  }

  /**
   * After a route-table swap: ends sessions whose prefix is gone, and tells sessions whose endpoint's
   * listHash changed (tools/prompts list_changed, on the session's server→client stream if it has one).
   */
  onTableSwap(lookup: (prefix: string) => Endpoint | undefined): void {
    const { store } = this.core;
    for (const session of store.values()) {
      const endpoint = lookup(session.prefix);
      if (endpoint === undefined) {
        store.end(session, 'router removed');
        continue;
      }
      session.endpoint = endpoint;
      if (endpoint.listHash === session.listHash) continue;
      session.listHash = endpoint.listHash;
      if (!session.initialized) continue;
      // Streamable: kept for a Last-Event-ID resume while the client's GET stream is down.
      if (endpoint.capabilities.tools !== undefined) session.sendOnStream(TOOLS_CHANGED, true);
      if (endpoint.capabilities.prompts !== undefined) session.sendOnStream(PROMPTS_CHANGED, true);
    }
  }

  /**
   * Graceful shutdown: new requests get 503, in-flight calls may finish until `deadlineMs`, then the
   * rest are aborted and every session and stream is closed.
   */
  drain(deadlineMs: number): Promise<void> {
    this.drained ??= this.runDrain(deadlineMs);
    return this.drained;
  }

  private async runDrain(deadlineMs: number): Promise<void> {
    this.draining = true;
    const { store, dispatcher, hub, log } = this.core;
    if (dispatcher.inflight > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      });
      await Promise.race([dispatcher.whenIdle(), deadline]);
      clearTimeout(timer);
    }
    if (dispatcher.inflight > 0) log('warn', 'mcp: drain deadline passed, aborting calls', { inflight: dispatcher.inflight });
    // Calls still running are aborted but may still answer (on the JSON path) when their Endpoint returns.
    for (const session of store.values()) for (const call of session.calls.values()) call.abort('the gateway is shutting down', false);
    for (const session of [...store.values()]) store.end(session, 'the gateway is shutting down');
    hub.closeAll();
    store.stopSweeper();
  }

  /** Ends idle Streamable HTTP sessions now (the sweep timer calls this; so may tests). Returns how many. */
  sweep(): number {
    return this.core.store.sweep();
  }

  /** Internals for tests and /_status: open streams, whether timers are scheduled, calls in flight. */
  inspect(): { sessions: number; streams: number; keepAliveTimer: boolean; sweepTimer: boolean; inflight: number } {
    const { store, hub, dispatcher } = this.core;
    return { sessions: store.size, streams: hub.size, keepAliveTimer: hub.ticking, sweepTimer: store.sweeping, inflight: dispatcher.inflight };
  }
}
