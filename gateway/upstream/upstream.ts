/**
 * One upstream MCP server (an mcpServers entry, by spec hash) and the upstream sessions opened to it.
 *
 * Sessions: one shared connection serves every client session that declared none of sampling, elicitation
 * and roots. A client session that declared one of them gets a connection of its own, so each
 * server→client request the upstream sends belongs to exactly one client (for stdio: a child per such
 * session), up to `maxSessionConnections`; past that such sessions use the shared connection and the
 * upstream's requests to them are refused. When header templates read `.Request`, the upstream session
 * carries the client's identity, so every client session gets its own connection and none is shared.
 *
 * State of the shared connection: idle → starting → connected → (lost) backoff → starting …; failed when
 * the spec cannot work (stdio disabled, no command/url), closed once retired. `onStart` connects at load
 * and reconnects with exponential backoff (0.5 s … 30 s, jittered); no policy connects on first use and
 * then behaves the same; `onDemand` connects on first use and closes after `idleTimeout` without calls.
 */
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SseError } from '@modelcontextprotocol/sdk/client/sse.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '../config/schema.ts';
import {
  type CallContext,
  type ClientCapabilities,
  type ClientSession,
  type Implementation,
  type LoggingLevel,
  McpMethodError,
  type ServerCapabilities,
  type Tool,
  type UpstreamHealth,
  type UpstreamState,
} from '../routing/endpoint.ts';
import { compile, type Template, TemplateError } from '../template/index.ts';
import { deepFreeze } from '../tools/util.ts';
import { Connection, type ConnectionKind, PASSTHROUGH, type TransportPlan } from './connection.ts';
import { displayUrl, type NormalizedSpec, normalizeSpec, redact, safeBaseEnv, specHash } from './spec.ts';

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

export interface UpstreamOptions {
  /** security.allowStdio: stdio upstreams run commands on this host. */
  allowStdio: boolean;
  /** The template `env` function (already restricted to the allowlist). */
  env: (name: string) => string | undefined;
  log?: LogFn;
  /** Most connections of one Upstream dedicated to client sessions (default 32). */
  maxSessionConnections?: number;
  /** First reconnect delay (default 500 ms); doubles per failed attempt up to backoffMaxMs (30 s). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** stdio: how long a child gets after stdin closes and again after SIGTERM (default 1000 ms). */
  killGraceMs?: number;
  now?: () => number;
}

/** Health plus what an operator needs to see why a stdio server fails. */
export interface UpstreamStatus extends UpstreamHealth {
  readonly hash: string;
  /** Last lines the stdio child wrote to stderr (secrets masked). */
  readonly stderr?: readonly string[];
  /** pid of the shared stdio child, when running. */
  readonly pid?: number;
}

/** The upstream cannot serve a request now; the message is safe to show (`upstream "x": …`). */
export class UpstreamUnavailable extends Error {
  readonly code = 'upstream_unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamUnavailable';
  }
}

/** The result type of every forwarded request: the upstream's JSON, passed through. */
export type UpstreamResult = Record<string, unknown>;

const STDERR_LINES = 50;
const LOG_SEVERITY: Readonly<Record<string, number>> = {
  debug: 0,
  info: 1,
  notice: 2,
  warning: 3,
  error: 4,
  critical: 5,
  alert: 6,
  emergency: 7,
};
const SERVER_TO_CLIENT: Readonly<Record<string, 'sampling' | 'elicitation' | 'roots'>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};
const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

/** A client session this Upstream has served, with what it holds here. */
interface SessionEntry {
  readonly session: ClientSession;
  /** Gets a connection of its own (declared sampling/elicitation/roots, or identity-bound headers). */
  dedicated: boolean;
  conn: Connection | undefined;
  pending: Promise<Connection> | undefined;
  logLevel: LoggingLevel | undefined;
  /** Resource URIs subscribed through this Upstream. */
  subscriptions: Set<string> | undefined;
  ended: boolean;
  readonly onEnded: () => void;
}

interface Compiled {
  readonly name: string;
  readonly template: Template;
}

/** Render data for env/header templates: `.Args` and `.Request` of the call that opened the connection. */
function triggerData(ctx: CallContext | undefined, args: Record<string, unknown> | undefined): Record<string, unknown> {
  const request = ctx?.request;
  return {
    Args: args ?? EMPTY,
    Request: request === undefined ? { Headers: EMPTY, Query: EMPTY, Cookies: EMPTY } : { Headers: request.headers, Query: request.query, Cookies: request.cookies },
  };
}

function errorText(err: unknown): string {
  if (err instanceof McpError) return err.message.replace(/^MCP error -?\d+: /, '');
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A JSON-RPC error for the upstream, with our message as is (McpError would prefix "MCP error …"). */
function rpcError(code: number, message: string, data?: unknown): Error {
  return Object.assign(new Error(message), data === undefined ? { code } : { code, data });
}

export class Upstream {
  readonly spec: NormalizedSpec;
  readonly hash: string;
  readonly name: string;
  readonly type: McpServer['type'];
  /** Connections are per client session because header templates read `.Request`. */
  readonly identityBound: boolean;

  private _state: UpstreamState = 'idle';
  private _since: number;
  private _lastError: string | undefined;
  private _restarts = 0;
  /** The spec cannot work (stdio disabled, no command or url, a template that does not compile). */
  private permanentError: string | undefined;
  private shared: Connection | undefined;
  private sharedPending: Promise<Connection> | undefined;
  private everConnected = false;
  /** The shared connection was lost; the next one established counts as a restart. */
  private recovering = false;
  private backoffAttempt = 0;
  private backoffTimer: ReturnType<typeof setTimeout> | undefined;
  private retryAt = 0;
  private closedFlag = false;
  private closing: Promise<void> | undefined;
  private readonly sessions = new Map<string, SessionEntry>();
  /** Slots of per-session connections: being opened, or open and attached to their session. */
  private dedicatedCount = 0;
  /** Per-session connection → its session, once attached. */
  private readonly owners = new Map<Connection, SessionEntry>();
  /** Every connection not yet fully closed (for closeAll and the hygiene guarantees). */
  private readonly live = new Set<Connection>();
  /** Shared connection: resource URI → ids of the sessions subscribed to it. */
  private readonly sharedSubs = new Map<string, Set<string>>();
  /** Level last sent to the shared connection with logging/setLevel. */
  private sharedLevel: LoggingLevel | undefined;
  private readonly stderrRing: string[] = [];
  private stderrNext = 0;
  private readonly envTemplates: Compiled[] = [];
  private readonly headerTemplates: Compiled[] = [];
  private readonly now: () => number;
  private readonly log: LogFn;
  private readonly maxSessionConnections: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  /** Secrets of the most recent connection, to mask them in errors and stderr. */
  private secrets: readonly string[] = [];

  /** Capabilities, serverInfo and instructions of the last connection established. */
  serverCapabilities: ServerCapabilities | undefined;
  serverInfo: Implementation | undefined;
  instructions: string | undefined;

  constructor(
    spec: McpServer,
    private readonly opts: UpstreamOptions,
  ) {
    this.spec = normalizeSpec(spec);
    this.hash = specHash(this.spec);
    this.name = spec.name;
    this.type = spec.type;
    this.now = opts.now ?? Date.now;
    this._since = this.now();
    this.log = opts.log ?? (() => undefined);
    this.maxSessionConnections = opts.maxSessionConnections ?? 32;
    this.backoffInitialMs = opts.backoffInitialMs ?? 500;
    this.backoffMaxMs = opts.backoffMaxMs ?? 30_000;
    let usesRequest = false;
    try {
      for (const [name, source] of Object.entries(this.spec.env)) this.envTemplates.push({ name, template: compile(source) });
      for (const [name, source] of Object.entries(this.spec.headers)) {
        const template = compile(source);
        if (template.roots.has('Request') || template.roots.has('*')) usesRequest = true;
        this.headerTemplates.push({ name, template });
      }
    } catch (err) {
      this.permanentError = err instanceof TemplateError ? `template: ${err.message}` : errorText(err);
    }
    this.identityBound = usesRequest && this.type !== 'stdio';
    if (this.permanentError === undefined) this.permanentError = this.checkSpec();
    if (this.permanentError !== undefined) this.setState('failed', this.permanentError);
  }

  private checkSpec(): string | undefined {
    if (this.type === 'stdio') {
      if (!this.opts.allowStdio) return 'stdio upstreams are disabled (security.allowStdio)';
      if (this.spec.command === undefined || this.spec.command === '') return 'stdio upstream has no command';
      return undefined;
    }
    if (this.spec.url === undefined) return `${this.type} upstream has no url`;
    try {
      const url = new URL(this.spec.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return `url must be http or https, not ${url.protocol}`;
    } catch {
      return `invalid url "${displayUrl(this.spec.url)}"`;
    }
    return undefined;
  }

  get state(): UpstreamState {
    return this._state;
  }

  get lastError(): string | undefined {
    return this._lastError;
  }

  get restarts(): number {
    return this._restarts;
  }

  /** Whether a call now would be tried at all (not failed, closed or waiting out a backoff). */
  isAvailable(): boolean {
    if (this._state === 'failed' || this._state === 'closed') return false;
    if (this._state === 'backoff') return this.now() >= this.retryAt;
    return true;
  }

  /** The shared stdio child's pid, when one runs. */
  get pid(): number | undefined {
    return this.shared?.pid;
  }

  /** pids of every running stdio child of this Upstream (shared and per session). */
  pids(): number[] {
    const out: number[] = [];
    for (const conn of this.live) if (conn.pid !== undefined) out.push(conn.pid);
    return out;
  }

  /** Live upstream connections (shared, per session, closing). */
  get connections(): number {
    return this.live.size;
  }

  health(): UpstreamStatus {
    const state = this._state === 'idle' && this.dedicatedCount > 0 ? 'connected' : this._state;
    const status: { -readonly [K in keyof UpstreamStatus]: UpstreamStatus[K] } = {
      name: this.name,
      type: this.type,
      state,
      since: new Date(this._since).toISOString(),
      restarts: this._restarts,
      sessions: (this.shared?.ready ? 1 : 0) + this.dedicatedCount,
      hash: this.hash,
    };
    if (this._lastError !== undefined) status.lastError = this._lastError;
    if (this.type === 'stdio') {
      status.stderr = this.stderrTail();
      const pid = this.shared?.pid;
      if (pid !== undefined) status.pid = pid;
    }
    return status;
  }

  /** The last stderr lines of this upstream's children, oldest first. */
  stderrTail(): string[] {
    const ring = this.stderrRing;
    if (ring.length < STDERR_LINES) return ring.slice();
    return [...ring.slice(this.stderrNext), ...ring.slice(0, this.stderrNext)];
  }

  /** Called once by the pool: connect now (onStart) or warm the caches (preinstalled). */
  start(): void {
    if (this.permanentError !== undefined || this.closedFlag) return;
    if (this.spec.policy === 'onStart') {
      this.ensureShared(undefined, undefined).catch(() => undefined);
    } else if (this.spec.preinstalled) {
      void this.warm();
    }
  }

  /** preinstalled: start once and stop, so the first real call does not pay for npx/uvx downloads. */
  private async warm(): Promise<void> {
    this.setState('starting');
    try {
      const conn = await this.open('warmup', undefined, undefined, undefined);
      await this.closeConnection(conn);
      if (this.warmupDone()) this.setState('idle');
    } catch (err) {
      if (this.warmupDone()) this.setState('idle', this.describe(err));
      else this._lastError = this.describe(err);
    }
  }

  /** The warm-up may set the state back only if no call started a real connection meanwhile. */
  private warmupDone(): boolean {
    return this._state === 'starting' && this.sharedPending === undefined && this.shared === undefined;
  }

  // ---------------------------------------------------------------------------------------------------
  // Connections for calls

  /**
   * The connection a call of `ctx` goes to: synchronous when it is connected (the hot path), a promise
   * while one is being opened. Throws or rejects with UpstreamUnavailable.
   */
  connectionFor(ctx: CallContext, args?: Record<string, unknown>): Connection | Promise<Connection> {
    if (this._state === 'failed' || this._state === 'closed') throw this.unavailable();
    const session = ctx.session;
    // A session that already ended is not tracked (its end event will not come again).
    if (session !== undefined && !session.ended.aborted) {
      let entry = this.sessions.get(session.id);
      if (entry === undefined) entry = this.track(session);
      if (entry.dedicated) {
        const conn = entry.conn;
        if (conn !== undefined && conn.ready) return conn;
        if (entry.pending !== undefined) return entry.pending;
        if (this.dedicatedCount < this.maxSessionConnections) return this.openDedicated(entry, ctx, args);
        if (this.identityBound) {
          throw new UpstreamUnavailable(`upstream "${this.name}": too many upstream sessions (${this.maxSessionConnections})`);
        }
        // Over the limit: this session shares; the upstream's server→client requests to it are refused.
        entry.dedicated = false;
        this.log('warn', 'upstream: session connection limit reached; session uses the shared connection', {
          upstream: this.name,
          max: this.maxSessionConnections,
        });
      }
    } else if (this.identityBound) {
      return this.open('oneshot', undefined, ctx, args);
    }
    const shared = this.shared;
    if (shared !== undefined && shared.ready) return shared;
    return this.ensureShared(ctx, args);
  }

  private track(session: ClientSession): SessionEntry {
    const caps = session.clientCapabilities;
    const entry: SessionEntry = {
      session,
      dedicated: this.identityBound || caps?.sampling !== undefined || caps?.elicitation !== undefined || caps?.roots !== undefined,
      conn: undefined,
      pending: undefined,
      logLevel: undefined,
      subscriptions: undefined,
      ended: false,
      onEnded: () => this.sessionEnded(session.id),
    };
    this.sessions.set(session.id, entry);
    session.ended.addEventListener('abort', entry.onEnded, { once: true });
    return entry;
  }

  private openDedicated(entry: SessionEntry, ctx: CallContext, args: Record<string, unknown> | undefined): Promise<Connection> {
    this.dedicatedCount++;
    const pending = this.open('session', entry, ctx, args).then(
      (conn) => {
        entry.pending = undefined;
        entry.conn = conn;
        this.owners.set(conn, entry);
        if (entry.ended || this.closedFlag) {
          void this.closeConnection(conn);
          throw new UpstreamUnavailable(`upstream "${this.name}": session ended`);
        }
        return conn;
      },
      (err: unknown) => {
        entry.pending = undefined;
        this.dedicatedCount--;
        throw this.connectFailed(err, false);
      },
    );
    entry.pending = pending;
    return pending;
  }

  /** The shared connection, opened now unless a backoff says to wait. */
  private ensureShared(ctx: CallContext | undefined, args: Record<string, unknown> | undefined): Promise<Connection> {
    if (this.sharedPending !== undefined) return this.sharedPending;
    if (this._state === 'failed' || this._state === 'closed') return Promise.reject(this.unavailable());
    if (this._state === 'backoff' && this.now() < this.retryAt) return Promise.reject(this.unavailable());
    if (this.backoffTimer !== undefined) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
    }
    this.setState('starting');
    const pending = this.open('shared', undefined, ctx, args).then(
      (conn) => {
        this.sharedPending = undefined;
        if (this.closedFlag) {
          void this.closeConnection(conn);
          throw this.unavailable();
        }
        this.shared = conn;
        this.backoffAttempt = 0;
        const restarted = this.recovering;
        this.recovering = false;
        if (restarted) this._restarts++;
        this.everConnected = true;
        this.setState('connected');
        this.afterSharedConnected(conn, restarted);
        return conn;
      },
      (err: unknown) => {
        this.sharedPending = undefined;
        throw this.connectFailed(err, true);
      },
    );
    this.sharedPending = pending;
    return pending;
  }

  /** A new shared connection: restore subscriptions and log level; tell clients to re-list after a restart. */
  private afterSharedConnected(conn: Connection, restarted: boolean): void {
    for (const uri of this.sharedSubs.keys()) {
      conn.client.request({ method: 'resources/subscribe', params: { uri } }, PASSTHROUGH).catch(() => undefined);
    }
    const level = this.sharedLevel;
    if (level !== undefined) {
      conn.client.request({ method: 'logging/setLevel', params: { level } }, PASSTHROUGH).catch(() => undefined);
    }
    if (restarted) {
      this.broadcast(undefined, 'notifications/tools/list_changed');
      this.broadcast(undefined, 'notifications/prompts/list_changed');
      this.broadcast(undefined, 'notifications/resources/list_changed');
    }
  }

  /** Records a failed connect; schedules the next attempt. Returns the error for the caller. */
  private connectFailed(err: unknown, shared: boolean): UpstreamUnavailable {
    if (err instanceof UpstreamUnavailable) return err;
    const message = this.describe(err);
    this.log('warn', 'upstream: connect failed', { upstream: this.name, error: message });
    if (!shared) {
      this._lastError = message;
      return new UpstreamUnavailable(`upstream "${this.name}": ${message}`);
    }
    if (this.closedFlag) return this.unavailable();
    // A kept-alive upstream retries on a timer; a lazy one waits out the delay, then the next call retries.
    this.enterBackoff(message, this.spec.policy === 'onStart' || (this.spec.policy === undefined && this.everConnected));
    return new UpstreamUnavailable(`upstream "${this.name}": ${message}`);
  }

  private enterBackoff(reason: string, timer: boolean): void {
    const base = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** this.backoffAttempt);
    this.backoffAttempt++;
    // Jitter in [base/2, base]: replicas restarted together do not reconnect in lockstep.
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.retryAt = this.now() + delay;
    this.setState('backoff', reason);
    if (!timer) return;
    if (this.backoffTimer !== undefined) clearTimeout(this.backoffTimer);
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.closedFlag || this._state !== 'backoff') return;
      // Calls arriving before the timer fails fast; from here on one attempt runs.
      this.retryAt = 0;
      this.ensureShared(undefined, undefined).catch(() => undefined);
    }, delay);
    this.backoffTimer.unref?.();
  }

  // ---------------------------------------------------------------------------------------------------
  // Opening and closing

  private plan(ctx: CallContext | undefined, args: Record<string, unknown> | undefined): { plan: TransportPlan; secrets: string[] } {
    const spec = this.spec;
    const renderOpts = { env: this.opts.env };
    const needsData = this.envTemplates.some((t) => !t.template.isStatic) || this.headerTemplates.some((t) => !t.template.isStatic);
    const data = needsData ? triggerData(ctx, args) : EMPTY;
    const secrets: string[] = [];
    if (this.type === 'stdio') {
      const env = safeBaseEnv();
      for (const { name, template } of this.envTemplates) {
        const value = template.render(data, renderOpts);
        env[name] = value;
        secrets.push(value);
      }
      return {
        plan: {
          type: 'stdio',
          command: spec.command!,
          args: spec.args,
          env,
          graceMs: this.opts.killGraceMs ?? 1000,
          onStderrLine: (line) => this.onStderr(line),
        },
        secrets,
      };
    }
    const headers: Record<string, string> = {};
    for (const { name, template } of this.headerTemplates) {
      const value = template.render(data, renderOpts);
      if (/[\r\n\0]/.test(value)) throw new Error(`header "${name}" renders to a value with a line break`);
      // An empty value (a pass-through header the client did not send) is left out, not sent empty.
      if (value === '') continue;
      headers[name] = value;
      secrets.push(value);
    }
    return { plan: { type: this.type, url: new URL(spec.url!), headers }, secrets };
  }

  private async open(
    kind: ConnectionKind,
    owner: SessionEntry | undefined,
    ctx: CallContext | undefined,
    args: Record<string, unknown> | undefined,
  ): Promise<Connection> {
    if (this.closedFlag) throw this.unavailable();
    const { plan, secrets } = this.plan(ctx, args);
    this.secrets = secrets;
    const capabilities = owner !== undefined ? clientCapabilitiesFor(owner.session.clientCapabilities) : EMPTY;
    let idleMs: number | undefined;
    if (kind === 'oneshot') idleMs = 0;
    else if (kind === 'shared') idleMs = this.spec.policy === 'onDemand' ? this.spec.idleTimeoutMs : undefined;
    else if (kind === 'session') idleMs = this.spec.idleTimeoutMs;
    const conn = new Connection(kind, plan, capabilities, idleMs, secrets);
    const client = conn.client;
    client.onclose = () => this.onConnectionClosed(conn);
    client.onerror = (err) => this.onConnectionError(conn, err);
    client.fallbackNotificationHandler = async (n) => this.onNotification(conn, n.method, n.params);
    client.fallbackRequestHandler = (request, extra) => this.onServerRequest(conn, owner, request.method, request.params, extra.signal);
    this.live.add(conn);
    try {
      await conn.connect(this.spec.connectTimeoutMs);
    } catch (err) {
      await this.closeConnection(conn);
      throw err;
    }
    conn.lastUsed = this.now();
    this.serverCapabilities = conn.serverCapabilities;
    this.serverInfo = client.getServerVersion();
    this.instructions = client.getInstructions();
    this.log('debug', 'upstream: connected', { upstream: this.name, kind, pid: conn.pid });
    return conn;
  }

  /** Removes a connection from service: no new calls go to it. Idempotent. */
  private detach(conn: Connection): void {
    if (conn.detached) return;
    conn.detached = true;
    if (conn.idleTimer !== undefined) {
      clearTimeout(conn.idleTimer);
      conn.idleTimer = undefined;
    }
    if (this.shared === conn) {
      this.shared = undefined;
      if (this._state === 'connected') this.setState('idle');
    }
    const owner = this.owners.get(conn);
    if (owner !== undefined) {
      this.owners.delete(conn);
      if (owner.conn === conn) owner.conn = undefined;
      this.dedicatedCount--;
    }
  }

  /** Detaches and closes; resolves once the transport is gone (stdio: the process group is dead). */
  private closeConnection(conn: Connection): Promise<void> {
    this.detach(conn);
    return conn.close();
  }

  /** The transport closed. Unless we closed it (detached first), the connection was lost. */
  private onConnectionClosed(conn: Connection): void {
    conn.markClosed();
    this.live.delete(conn);
    if (conn.detached) return;
    const wasShared = this.shared === conn;
    this.detach(conn);
    this.afterLoss(conn, conn.exitDescription, wasShared);
  }

  /** The connection broke under us (network error, broken stream): take it out and close it. */
  private lose(conn: Connection, reason: string): void {
    if (conn.detached) return;
    conn.failure = reason;
    const wasShared = this.shared === conn;
    this.detach(conn);
    void conn.close();
    this.afterLoss(conn, reason, wasShared);
  }

  private afterLoss(conn: Connection, reason: string, wasShared: boolean): void {
    if (this.closedFlag || conn.kind === 'warmup' || conn.kind === 'oneshot') return;
    const message = redact(reason, conn.secrets);
    this.log('warn', 'upstream: connection lost', { upstream: this.name, kind: conn.kind, reason: message, pid: conn.pid });
    this._lastError = message;
    if (!wasShared) return;
    this.recovering = true;
    // A call may already be opening the replacement.
    if (this.sharedPending !== undefined) return;
    if (this.spec.policy === 'onDemand') this.setState('idle', message);
    else this.enterBackoff(message, true);
  }

  private onConnectionError(conn: Connection, err: Error): void {
    const message = redact(err.message, conn.secrets);
    this.log('debug', 'upstream: transport error', { upstream: this.name, error: message });
    if (!conn.ready || conn.detached) return;
    // Legacy SSE: the stream is the session; once it breaks the upstream has forgotten us. Streamable
    // HTTP: the SDK gave up re-opening the GET stream, so the server is gone.
    if (err instanceof SseError || /Maximum reconnection attempts/.test(err.message)) this.lose(conn, message);
  }

  // ---------------------------------------------------------------------------------------------------
  // Requests

  /**
   * Sends one request on the connection `ctx` maps to, with the call timeout, the client's cancellation
   * and (when asked) progress. An expired upstream session (Streamable HTTP 404) is re-initialized and
   * the request retried once. Rejects with UpstreamUnavailable, or with the upstream's McpError.
   */
  async request(
    ctx: CallContext,
    method: string,
    params: Record<string, unknown> | undefined,
    args?: Record<string, unknown>,
  ): Promise<UpstreamResult> {
    let conn = this.connectionFor(ctx, args);
    if (conn instanceof Promise) {
      conn = await conn;
      // An onDemand connection may have been idle-closed while this call waited for it.
      if (conn.detached) {
        conn = this.connectionFor(ctx, args);
        if (conn instanceof Promise) conn = await conn;
      }
    }
    const signal = ctx.signal;
    try {
      return await this.send(conn, method, params, signal, ctx.requestId, ctx.progress);
    } catch (err) {
      if (!this.expired(conn, err) || signal.aborted) throw this.classify(conn, err, signal);
      let again = this.connectionFor(ctx, args);
      if (again instanceof Promise) again = await again;
      try {
        return await this.send(again, method, params, signal, ctx.requestId, ctx.progress);
      } catch (err2) {
        throw this.classify(again, err2, signal);
      }
    }
  }

  /** One SDK request, with the bookkeeping idle close and server→client relating need. */
  private send(
    conn: Connection,
    method: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal | undefined,
    requestId?: string | number,
    progress?: CallContext['progress'],
  ): Promise<UpstreamResult> {
    conn.inflight++;
    const relate = conn.kind === 'session' && requestId !== undefined;
    if (relate) conn.related.push(requestId);
    let token: string | undefined;
    if (progress !== undefined) {
      token = conn.nextProgressToken();
      params = { ...params, _meta: { progressToken: token } };
      conn.progress.set(token, (p) => {
        if (typeof p.progress === 'number') progress(p.progress, typeof p.total === 'number' ? p.total : undefined, typeof p.message === 'string' ? p.message : undefined);
      });
    }
    const promise = conn.client.request({ method, params } as never, PASSTHROUGH, { signal, timeout: this.spec.callTimeoutMs }) as Promise<UpstreamResult>;
    return promise.finally(() => {
      if (token !== undefined) conn.progress.delete(token);
      conn.inflight--;
      conn.lastUsed = this.now();
      if (relate) {
        const i = conn.related.lastIndexOf(requestId);
        if (i >= 0) conn.related.splice(i, 1);
      }
      if (conn.inflight === 0 && conn.idleMs !== undefined && !conn.detached) this.armIdle(conn);
    });
  }

  /** Streamable HTTP answers 404 to a session it no longer knows; legacy SSE servers answer 404 too. */
  private expired(conn: Connection, err: unknown): boolean {
    const gone =
      (err instanceof StreamableHTTPError && err.code === 404) ||
      (this.type === 'sse' && err instanceof Error && !(err instanceof McpError) && /\(HTTP 404\)/.test(err.message));
    if (gone) {
      this.log('info', 'upstream: session expired, re-initializing', { upstream: this.name });
      conn.failure = 'upstream session expired';
      this.detach(conn);
      void conn.close();
    }
    return gone;
  }

  /** Maps a failed request to what the endpoint reports. McpErrors from the upstream pass through. */
  private classify(conn: Connection, err: unknown, signal: AbortSignal | undefined): Error {
    if (signal?.aborted) return new UpstreamUnavailable(`upstream "${this.name}": request cancelled`);
    if (err instanceof McpError) {
      if (err.code === -32001 && /timed out/i.test(err.message)) {
        return new UpstreamUnavailable(`upstream "${this.name}": no answer within ${this.spec.callTimeoutMs} ms (callTimeout)`);
      }
      if (err.code === -32000) return new UpstreamUnavailable(`upstream "${this.name}": ${redact(conn.failure ?? conn.exitDescription, conn.secrets)}`);
      return err;
    }
    if (err instanceof UpstreamUnavailable) return err;
    const message = redact(errorText(err), conn.secrets);
    // An HTTP status is an answer; anything else (refused, reset, DNS) means the connection is broken.
    const answered = err instanceof StreamableHTTPError || /\(HTTP \d{3}\)/.test(message);
    if (!answered && this.type !== 'stdio') this.lose(conn, message);
    return new UpstreamUnavailable(`upstream "${this.name}": ${message}`);
  }

  private armIdle(conn: Connection): void {
    const idleMs = conn.idleMs!;
    if (idleMs === 0) {
      void this.closeConnection(conn);
      return;
    }
    if (conn.idleTimer !== undefined) return;
    const check = () => {
      conn.idleTimer = undefined;
      if (conn.inflight > 0 || conn.detached) return;
      const remaining = conn.lastUsed + idleMs - this.now();
      if (remaining > 0) {
        conn.idleTimer = setTimeout(check, remaining);
        conn.idleTimer.unref?.();
        return;
      }
      this.log('debug', 'upstream: idle close', { upstream: this.name, kind: conn.kind, pid: conn.pid });
      void this.closeConnection(conn);
    };
    conn.idleTimer = setTimeout(check, idleMs);
    conn.idleTimer.unref?.();
  }

  /** The upstream's tools, cached per connection until it says they changed. */
  async listTools(ctx: CallContext): Promise<readonly Tool[]> {
    let conn = this.connectionFor(ctx);
    if (conn instanceof Promise) conn = await conn;
    if (conn.tools !== undefined) return conn.tools;
    if (conn.toolsLoading !== undefined) return conn.toolsLoading;
    if (conn.serverCapabilities?.tools === undefined) return (conn.tools = Object.freeze([]));
    const epoch = conn.toolsEpoch;
    const c = conn;
    const loading = (async () => {
      const tools: Tool[] = [];
      let cursor: string | undefined;
      // Bounded: a server that keeps returning cursors must not hold the call forever.
      for (let page = 0; page < 100; page++) {
        // No client signal: the cached list serves every caller, one client's cancel must not fail the rest.
        const result = await this.send(c, 'tools/list', cursor === undefined ? undefined : { cursor }, undefined);
        const list = result.tools;
        if (Array.isArray(list)) tools.push(...(list as Tool[]));
        cursor = typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
        if (cursor === undefined) break;
      }
      return deepFreeze(tools) as readonly Tool[];
    })().then(
      (tools) => {
        if (c.toolsEpoch === epoch) {
          c.tools = tools;
          c.toolsLoading = undefined;
        }
        return tools;
      },
      (err: unknown) => {
        if (c.toolsEpoch === epoch) c.toolsLoading = undefined;
        throw this.classify(c, err, undefined);
      },
    );
    conn.toolsLoading = loading;
    return loading;
  }

  /** Calls a tool; the upstream's result passes through untouched. */
  callTool(name: string, args: Record<string, unknown>, ctx: CallContext): Promise<UpstreamResult> {
    return this.request(ctx, 'tools/call', { name, arguments: args }, args);
  }

  // ---------------------------------------------------------------------------------------------------
  // Subscriptions and logging

  async subscribe(uri: string, ctx: CallContext): Promise<void> {
    let conn = this.connectionFor(ctx);
    if (conn instanceof Promise) conn = await conn;
    const entry = ctx.session !== undefined ? this.sessions.get(ctx.session.id) : undefined;
    if (conn.kind === 'shared' && entry !== undefined) {
      let subs = this.sharedSubs.get(uri);
      const first = subs === undefined;
      if (subs === undefined) this.sharedSubs.set(uri, (subs = new Set()));
      subs.add(entry.session.id);
      (entry.subscriptions ??= new Set()).add(uri);
      if (!first) return;
      try {
        await this.send(conn, 'resources/subscribe', { uri }, ctx.signal);
      } catch (err) {
        subs.delete(entry.session.id);
        entry.subscriptions.delete(uri);
        if (subs.size === 0) this.sharedSubs.delete(uri);
        throw this.classify(conn, err, ctx.signal);
      }
      return;
    }
    if (entry !== undefined) (entry.subscriptions ??= new Set()).add(uri);
    await this.send(conn, 'resources/subscribe', { uri }, ctx.signal).catch((err: unknown) => {
      throw this.classify(conn, err, ctx.signal);
    });
  }

  async unsubscribe(uri: string, ctx: CallContext): Promise<void> {
    const entry = ctx.session !== undefined ? this.sessions.get(ctx.session.id) : undefined;
    entry?.subscriptions?.delete(uri);
    if (entry !== undefined && entry.conn === undefined) {
      const subs = this.sharedSubs.get(uri);
      if (subs === undefined || !subs.delete(entry.session.id)) return;
      if (subs.size > 0) return;
      this.sharedSubs.delete(uri);
      const shared = this.shared;
      if (shared !== undefined && shared.ready) await this.send(shared, 'resources/unsubscribe', { uri }, undefined).catch(() => undefined);
      return;
    }
    let conn = this.connectionFor(ctx);
    if (conn instanceof Promise) conn = await conn;
    await this.send(conn, 'resources/unsubscribe', { uri }, ctx.signal).catch((err: unknown) => {
      throw this.classify(conn, err, ctx.signal);
    });
  }

  /**
   * logging/setLevel. A session connection gets it as is. The shared connection gets the most verbose
   * level any of its sessions asked for; each session then receives only messages at or above its own.
   */
  async setLogLevel(level: LoggingLevel, ctx: CallContext): Promise<void> {
    let conn = this.connectionFor(ctx);
    if (conn instanceof Promise) conn = await conn;
    const entry = ctx.session !== undefined ? this.sessions.get(ctx.session.id) : undefined;
    if (entry !== undefined) entry.logLevel = level;
    if (conn.serverCapabilities?.logging === undefined) return;
    let send: LoggingLevel = level;
    if (conn.kind === 'shared') {
      const lowest = this.lowestSharedLevel();
      if (lowest === undefined || lowest === this.sharedLevel) return;
      send = lowest;
      this.sharedLevel = lowest;
    }
    await this.send(conn, 'logging/setLevel', { level: send }, ctx.signal).catch((err: unknown) => {
      throw this.classify(conn, err, ctx.signal);
    });
  }

  private lowestSharedLevel(): LoggingLevel | undefined {
    let lowest: LoggingLevel | undefined;
    for (const entry of this.sessions.values()) {
      if (entry.conn !== undefined || entry.logLevel === undefined) continue;
      if (lowest === undefined || LOG_SEVERITY[entry.logLevel]! < LOG_SEVERITY[lowest]!) lowest = entry.logLevel;
    }
    return lowest;
  }

  // ---------------------------------------------------------------------------------------------------
  // Upstream → client

  /** Notifications from the upstream, relayed to the client sessions they concern. */
  private onNotification(conn: Connection, method: string, params: Record<string, unknown> | undefined): void {
    switch (method) {
      case 'notifications/tools/list_changed':
        conn.toolsEpoch++;
        conn.tools = undefined;
        conn.toolsLoading = undefined;
        this.broadcast(conn, method);
        return;
      case 'notifications/prompts/list_changed':
      case 'notifications/resources/list_changed':
        this.broadcast(conn, method);
        return;
      case 'notifications/resources/updated': {
        const uri = params?.uri;
        if (typeof uri !== 'string') return;
        if (conn.kind === 'session') {
          this.ownerOf(conn)?.session.notify(method, params);
          return;
        }
        const subs = this.sharedSubs.get(uri);
        if (subs === undefined) return;
        for (const id of subs) this.notify(this.sessions.get(id), method, params);
        return;
      }
      case 'notifications/message': {
        if (conn.kind === 'session') {
          this.notify(this.ownerOf(conn), method, params);
          return;
        }
        const severity = LOG_SEVERITY[typeof params?.level === 'string' ? params.level : 'info'] ?? 1;
        for (const entry of this.sessions.values()) {
          if (entry.conn !== undefined || entry.logLevel === undefined) continue;
          if (severity >= LOG_SEVERITY[entry.logLevel]!) this.notify(entry, method, params);
        }
        return;
      }
      default:
        // Progress and cancellation have SDK handlers; anything else has no client-side meaning here.
        return;
    }
  }

  private ownerOf(conn: Connection): SessionEntry | undefined {
    return this.owners.get(conn);
  }

  private notify(entry: SessionEntry | undefined, method: string, params?: Record<string, unknown>): void {
    if (entry === undefined || entry.ended) return;
    try {
      entry.session.notify(method, params);
    } catch {
      // The session is going away; its end handler cleans up.
    }
  }

  /** A list changed on `conn` (undefined: the shared connection was replaced): tell who uses it. */
  private broadcast(conn: Connection | undefined, method: string): void {
    if (conn !== undefined && conn.kind === 'session') {
      this.notify(this.ownerOf(conn), method);
      return;
    }
    if (conn !== undefined && conn.kind !== 'shared') return;
    for (const entry of this.sessions.values()) if (entry.conn === undefined) this.notify(entry, method);
  }

  /**
   * sampling/createMessage, elicitation/create and roots/list from the upstream, relayed to the one
   * client session that owns the connection. Shared connections declared none of these capabilities, so
   * a compliant server never sends them; one that does is answered -32601.
   */
  private async onServerRequest(
    conn: Connection,
    owner: SessionEntry | undefined,
    method: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const capability = SERVER_TO_CLIENT[method];
    if (capability === undefined) throw rpcError(-32601, `Method not found: ${method.slice(0, 100)}`);
    if (owner === undefined || owner.ended || owner.session.clientCapabilities?.[capability] === undefined) {
      throw rpcError(-32601, `client does not support ${capability}`);
    }
    const related = conn.related.length > 0 ? conn.related[conn.related.length - 1] : undefined;
    try {
      return await owner.session.request(method, params, related === undefined ? { signal } : { signal, relatedRequestId: related });
    } catch (err) {
      if (err instanceof McpMethodError) throw rpcError(err.rpcCode, err.message, err.data);
      throw rpcError(-32603, `client request failed: ${errorText(err).slice(0, 200)}`);
    }
  }

  private onStderr(line: string): void {
    const clipped = redact(line.length > 1000 ? `${line.slice(0, 1000)}…` : line, this.secrets);
    if (this.stderrRing.length < STDERR_LINES) this.stderrRing.push(clipped);
    else {
      this.stderrRing[this.stderrNext] = clipped;
      this.stderrNext = (this.stderrNext + 1) % STDERR_LINES;
    }
    this.log('debug', 'upstream: stderr', { upstream: this.name, line: clipped });
  }

  // ---------------------------------------------------------------------------------------------------
  // Sessions and shutdown

  /** A client session ended: close its connection, drop its subscriptions and log level. */
  sessionEnded(sessionId: string): void {
    const entry = this.sessions.get(sessionId);
    if (entry === undefined) return;
    entry.ended = true;
    this.sessions.delete(sessionId);
    entry.session.ended.removeEventListener('abort', entry.onEnded);
    if (entry.conn !== undefined) void this.closeConnection(entry.conn);
    if (entry.subscriptions !== undefined && entry.conn === undefined) {
      for (const uri of entry.subscriptions) {
        const subs = this.sharedSubs.get(uri);
        if (subs === undefined) continue;
        subs.delete(sessionId);
        if (subs.size > 0) continue;
        this.sharedSubs.delete(uri);
        const shared = this.shared;
        if (shared?.ready) shared.client.request({ method: 'resources/unsubscribe', params: { uri } }, PASSTHROUGH).catch(() => undefined);
      }
    }
  }

  /** Number of client sessions this Upstream has seen and not yet seen end. */
  get trackedSessions(): number {
    return this.sessions.size;
  }

  /**
   * Closes every connection and stops reconnecting; resolves once every child has exited. After
   * `deadlineMs` the remaining process groups get SIGKILL.
   */
  close(deadlineMs = 5000): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closedFlag = true;
    if (this.backoffTimer !== undefined) {
      clearTimeout(this.backoffTimer);
      this.backoffTimer = undefined;
    }
    this.setState('closed');
    for (const entry of this.sessions.values()) {
      entry.ended = true;
      entry.session.ended.removeEventListener('abort', entry.onEnded);
    }
    this.sessions.clear();
    this.closing = (async () => {
      // Connections still opening join `live` before they connect, so they are included here.
      const all = [...this.live];
      const closed = Promise.all(all.map((c) => this.closeConnection(c)));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), deadlineMs);
      });
      const outcome = await Promise.race([closed, deadline]);
      clearTimeout(timer);
      if (outcome === 'deadline') {
        this.log('warn', 'upstream: children did not exit in time; killing', { upstream: this.name });
        await Promise.all(all.map((c) => c.kill()));
      }
      // Opened while we were closing (a connect that was already past its check): close those too.
      if (this.live.size > 0) await Promise.all([...this.live].map((c) => c.kill()));
    })();
    return this.closing;
  }

  private unavailable(): UpstreamUnavailable {
    if (this._state === 'closed') return new UpstreamUnavailable(`upstream "${this.name}": closed`);
    return new UpstreamUnavailable(`upstream "${this.name}": ${this._lastError ?? 'unavailable'}`);
  }

  private describe(err: unknown): string {
    let text = errorText(err);
    if (err instanceof TemplateError) text = `template: ${text}`;
    if (this.type !== 'stdio' && this.spec.url !== undefined) text = text.split(this.spec.url).join(displayUrl(this.spec.url));
    return redact(text, this.secrets);
  }

  private setState(state: UpstreamState, error?: string): void {
    if (error !== undefined) this._lastError = error;
    if (state === this._state) return;
    this._state = state;
    this._since = this.now();
  }
}

/** What the upstream sees of the client: only the capabilities the gateway relays. */
function clientCapabilitiesFor(caps: ClientCapabilities | undefined): ClientCapabilities {
  const out: ClientCapabilities = {};
  if (caps?.sampling !== undefined) out.sampling = caps.sampling;
  if (caps?.elicitation !== undefined) out.elicitation = caps.elicitation;
  if (caps?.roots !== undefined) out.roots = caps.roots;
  return out;
}
