/**
 * Sessions and in-flight calls. A session belongs to one router prefix and one transport; it holds what
 * `initialize` negotiated, the calls that can still be cancelled and the stream server messages go to.
 * The store is a plain Map: a lookup per request, nothing else.
 */
import type { ClientCapabilities, Implementation, LoggingLevel } from '@modelcontextprotocol/sdk/spec.types.js';
import { type CallContext, type ClientSession, type Endpoint, McpMethodError, type RequestView } from '../routing/endpoint.ts';
import { INTERNAL_ERROR, type JsonRpcId, METHOD_NOT_FOUND, notificationBody } from './jsonrpc.ts';
import { EventLog, GET_STREAM, ResumableStream } from './resume.ts';
import type { SseStream } from './sse-writer.ts';

export type TransportKind = 'streamable' | 'sse';

/**
 * One request being served: the CallContext handed to the Endpoint. The AbortController is created
 * only if the Endpoint reads `signal`, so calls that never look at it cost one object less.
 */
export class Call implements CallContext {
  progress?: (progress: number, total?: number, message?: string) => void;
  private controller: AbortController | undefined;
  private reason: string | undefined;
  /** The answer must not be sent: the client cancelled the request or ended the session. */
  suppressed = false;
  /** The Endpoint has returned; later progress is dropped. */
  finished = false;
  /**
   * Writes on the stream that answers this request (its POST's SSE response, or the legacy stream);
   * undefined when the answer is plain JSON. Server→client messages related to the call go there.
   */
  sink: ((json: string) => boolean | void) | undefined;

  constructor(
    readonly request: RequestView,
    readonly sessionId: string | undefined,
    readonly session?: ClientSession,
    readonly requestId?: JsonRpcId,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.reason !== undefined) this.controller.abort(new DOMException(this.reason, 'AbortError'));
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  /** Aborts the call once; `suppress` drops its answer (cancellation) instead of sending it (drain). */
  abort(reason: string, suppress: boolean): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.suppressed = suppress;
    this.controller?.abort(new DOMException(reason, 'AbortError'));
  }
}

/**
 * In-flight calls of a session by JSON-RPC id, with the part of Map's API the transports use. Every
 * request adds and removes one, so this is on the hot path. Up to INDEXED_FROM calls it is two parallel
 * arrays searched linearly and compacted by moving the last entry into the freed slot; only a session
 * with more calls in flight also keeps a Map index. Why not a Map throughout: in JSC a deleted Map entry
 * keeps its value reachable until the table is rehashed, so finished calls (and the Headers and
 * AbortSignal wrappers they hold) survive young collections, and every collection revisits them.
 * Measured in the setup of bench/gateway-throughput.ts (gateway pinned to one core, 64 calls in flight
 * on one session, about 13k calls/s), with BUN_JSC_logGC=1: with a Map here garbage collection took
 * 340–400 ms per 4 s instead of 110–120 ms, about 5 µs per call; a linear scan of 64 ids costs well
 * under 1 µs.
 */
export class CallTable {
  private readonly ids: JsonRpcId[] = [];
  private readonly list: Call[] = [];
  /** id → slot, kept only past INDEXED_FROM calls (slots are numbers: nothing for the GC to revisit). */
  private index: Map<JsonRpcId, number> | undefined;

  get size(): number {
    return this.list.length;
  }

  get(id: JsonRpcId): Call | undefined {
    const at = this.slotOf(id);
    return at < 0 ? undefined : this.list[at];
  }

  has(id: JsonRpcId): boolean {
    return this.slotOf(id) >= 0;
  }

  set(id: JsonRpcId, call: Call): this {
    const at = this.slotOf(id);
    if (at >= 0) {
      this.list[at] = call;
      return this;
    }
    this.ids.push(id);
    this.list.push(call);
    if (this.index !== undefined) this.index.set(id, this.list.length - 1);
    else if (this.list.length > INDEXED_FROM) this.index = new Map(this.ids.map((k, i) => [k, i]));
    return this;
  }

  /** Adds `call` unless a call with its id is in flight (one scan instead of `has` and `set`). */
  add(id: JsonRpcId, call: Call): boolean {
    if (this.slotOf(id) >= 0) return false;
    this.ids.push(id);
    this.list.push(call);
    if (this.index !== undefined) this.index.set(id, this.list.length - 1);
    else if (this.list.length > INDEXED_FROM) this.index = new Map(this.ids.map((k, i) => [k, i]));
    return true;
  }

  /** Removes the call of `id` if it is `call` (one scan instead of `get` and `delete`). */
  remove(id: JsonRpcId, call: Call): boolean {
    const at = this.slotOf(id);
    if (at < 0 || this.list[at] !== call) return false;
    return this.removeAt(at, id);
  }

  delete(id: JsonRpcId): boolean {
    const at = this.slotOf(id);
    if (at < 0) return false;
    return this.removeAt(at, id);
  }

  private removeAt(at: number, id: JsonRpcId): boolean {
    const lastId = this.ids.pop()!;
    const last = this.list.pop()!;
    if (at < this.ids.length) {
      this.ids[at] = lastId;
      this.list[at] = last;
      this.index?.set(lastId, at);
    }
    if (this.index !== undefined) {
      this.index.delete(id);
      if (this.list.length <= INDEXED_FROM / 2) this.index = undefined;
    }
    return true;
  }

  /** A snapshot: aborting calls while iterating is safe. */
  values(): IterableIterator<Call> {
    return [...this.list].values();
  }

  private slotOf(id: JsonRpcId): number {
    if (this.index !== undefined) return this.index.get(id) ?? -1;
    return this.ids.indexOf(id);
  }
}

/** Calls in flight on one session beyond which CallTable also keeps a Map index. */
const INDEXED_FROM = 256;

/** Server→client requests that need a client capability (spec: client features). */
const REQUIRED_CAPABILITY: Readonly<Record<string, 'sampling' | 'elicitation' | 'roots'>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

const NO_CAPABILITIES: ClientCapabilities = Object.freeze({});

/** Default limit for the client's answer to a server→client request (a human may be answering). */
export const DEFAULT_CLIENT_REQUEST_TIMEOUT_MS = 10 * 60_000;

/** A server→client request waiting for the client's answer. */
interface PendingRequest {
  readonly method: string;
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (err: McpMethodError) => void;
}

/** Whether the client declared a capability that lets an upstream send it requests. */
export function declaresServerRequests(caps: ClientCapabilities): boolean {
  return caps.sampling !== undefined || caps.elicitation !== undefined || caps.roots !== undefined;
}

export class Session implements ClientSession {
  /** Negotiated by `initialize`; until then the transport's default. */
  protocolVersion: string;
  /** `initialize` has been answered. */
  initialized = false;
  clientInfo: Implementation | undefined;
  clientCapabilities: ClientCapabilities = NO_CAPABILITIES;
  /**
   * The client declared sampling, elicitation or roots: requests to an Endpoint that relays them are
   * answered on an SSE stream, so the relayed request can travel on it (set by `initialize`).
   */
  relays = false;
  /** Set by logging/setLevel; Endpoints that relay log messages filter by it. */
  logLevel: LoggingLevel | undefined;
  /**
   * On routers with `auth`: `<iss> <sub>` of the token that created the session. Every later request must
   * carry a token of the same principal (spec security best practices › Session Hijacking).
   */
  principal: string | undefined;
  /** The Endpoint that served the session's last request: told when the session ends. */
  endpoint: Endpoint | undefined;
  /** Limit for the client's answer to a server→client request. */
  clientRequestTimeoutMs = DEFAULT_CLIENT_REQUEST_TIMEOUT_MS;
  lastActive: number;
  /** In-flight requests by JSON-RPC id, for notifications/cancelled and duplicate-id detection. */
  readonly calls = new CallTable();
  /** Streamable: the GET stream, if open. Legacy: the SSE stream the session lives on. */
  stream: SseStream | undefined;
  /** The endpoint's listHash the client last heard about; a different one triggers list_changed. */
  listHash: string;
  closed = false;
  /**
   * Streamable: the kept SSE events for `Last-Event-ID` resumes, created on the first SSE-delivered
   * message (resume.ts); dropped when the session ends.
   */
  events: EventLog | undefined;
  /** Streamable: a GET stream was opened once; GET-stream notifications are then kept while it is down. */
  getOpened = false;
  private getSeq = 0;
  private postStreams = 0;
  /** Created on first read of `ended`: sessions no Endpoint tracks never allocate it. */
  private endedController: AbortController | undefined;
  /** Server→client requests awaiting the client's answer, by the id we gave them. */
  private pending: Map<number, PendingRequest> | undefined;
  private requestSeq = 0;

  constructor(
    readonly id: string,
    readonly transport: TransportKind,
    readonly prefix: string,
    listHash: string,
    protocolVersion: string,
    now: number,
    /** Legacy: the GET /sse request, whose headers, query and cookies sit under each POST's. */
    readonly base?: RequestView,
  ) {
    this.listHash = listHash;
    this.protocolVersion = protocolVersion;
    this.lastActive = now;
  }

  /**
   * Writes one message on the session's own stream. Streamable: with the id `0-<seq>`, kept in the
   * event log; `keepIfDown` keeps it (for a resume) even while no GET connection is open, provided the
   * client opened one before. True when written (or kept).
   */
  sendOnStream(json: string, keepIfDown: boolean): boolean {
    const stream = this.stream;
    const live = stream !== undefined && !stream.closed;
    if (this.transport !== 'streamable') return live && stream.message(json);
    if (!live && !(keepIfDown && this.getOpened)) return false;
    const seq = ++this.getSeq;
    (this.events ??= new EventLog()).record(GET_STREAM, seq, json);
    return live ? stream.message(json, `${GET_STREAM}-${seq}`) : true;
  }

  /** Streamable: a new logical stream for a POST answered with SSE, writing to `conn`. */
  postStream(conn: SseStream): ResumableStream {
    return new ResumableStream(++this.postStreams, (this.events ??= new EventLog()), conn);
  }

  /** Has an open stream or a call in flight: never idle. */
  get busy(): boolean {
    return this.calls.size > 0 || (this.stream !== undefined && !this.stream.closed);
  }

  /** Aborted when the session ends (ClientSession). */
  get ended(): AbortSignal {
    if (this.endedController === undefined) {
      this.endedController = new AbortController();
      if (this.closed) this.endedController.abort();
    }
    return this.endedController.signal;
  }

  /**
   * Sends a server→client request and resolves with the client's result (ClientSession). It goes on
   * the SSE stream answering `relatedRequestId` when that request is answered by a stream, else on the
   * session's GET stream (Streamable HTTP) or its stream (legacy SSE); spec: a message goes on exactly
   * one stream. Rejects with McpMethodError when the client did not declare the capability, no stream
   * can carry the request, the session ends, the signal aborts, or the client does not answer in time.
   */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    opts?: { signal?: AbortSignal; relatedRequestId?: string | number },
  ): Promise<Record<string, unknown>> {
    const capability = REQUIRED_CAPABILITY[method];
    if (capability !== undefined && this.clientCapabilities[capability] === undefined) {
      return Promise.reject(new McpMethodError(METHOD_NOT_FOUND, `client does not support ${capability}`));
    }
    if (this.closed) return Promise.reject(new McpMethodError(INTERNAL_ERROR, 'the client session ended'));
    const signal = opts?.signal;
    if (signal?.aborted) return Promise.reject(new McpMethodError(INTERNAL_ERROR, `${method} cancelled`));
    const id = ++this.requestSeq;
    const json =
      params === undefined
        ? `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)}}`
        : `{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const pending = (this.pending ??= new Map());
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        if (!settle()) return;
        // Tell the client to stop (spec: Cancellation applies in both directions).
        this.deliver(notificationBody('notifications/cancelled', { requestId: id, reason: 'cancelled by the server' }), opts?.relatedRequestId, true);
        reject(new McpMethodError(INTERNAL_ERROR, `${method} cancelled`));
      };
      const settle = (): boolean => {
        if (pending.get(id) !== entry) return false;
        pending.delete(id);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const entry: PendingRequest = {
        method,
        resolve: (result) => {
          if (settle()) resolve(result);
        },
        reject: (err) => {
          if (settle()) reject(err);
        },
      };
      pending.set(id, entry);
      if (!this.deliver(json, opts?.relatedRequestId, false)) {
        entry.reject(new McpMethodError(INTERNAL_ERROR, `no open stream to send ${method} to the client on`));
        return;
      }
      timer = setTimeout(() => {
        if (!settle()) return;
        this.deliver(notificationBody('notifications/cancelled', { requestId: id, reason: 'timed out' }), opts?.relatedRequestId, true);
        reject(new McpMethodError(INTERNAL_ERROR, `the client did not answer ${method} within ${this.clientRequestTimeoutMs} ms`));
      }, this.clientRequestTimeoutMs);
      timer.unref?.();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Sends a notification on the best stream (ClientSession); dropped when no stream is open. */
  notify(method: string, params?: Record<string, unknown>, opts?: { relatedRequestId?: string | number }): void {
    if (this.closed) return;
    this.deliver(notificationBody(method, params), opts?.relatedRequestId, true);
  }

  /**
   * A JSON-RPC response the client sent: settles the server→client request it answers. Returns false
   * when no request of ours waits for that id (late, duplicate or foreign answers are ignored).
   */
  respond(msg: { id?: unknown; result?: unknown; error?: unknown }): boolean {
    const pending = this.pending;
    if (pending === undefined || typeof msg.id !== 'number') return false;
    const entry = pending.get(msg.id);
    if (entry === undefined) return false;
    const error = msg.error;
    if (error !== undefined) {
      const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown; data?: unknown };
      entry.reject(
        new McpMethodError(
          typeof e.code === 'number' ? e.code : INTERNAL_ERROR,
          typeof e.message === 'string' ? e.message : `the client failed ${entry.method}`,
          e.data,
        ),
      );
    } else if (typeof msg.result === 'object' && msg.result !== null && !Array.isArray(msg.result)) {
      entry.resolve(msg.result as Record<string, unknown>);
    } else {
      entry.reject(new McpMethodError(INTERNAL_ERROR, `the client answered ${entry.method} with a result that is not an object`));
    }
    return true;
  }

  /** Server→client requests awaiting an answer. */
  get pendingRequests(): number {
    return this.pending?.size ?? 0;
  }

  /**
   * The session ended (SessionStore.end): aborts `ended`, fails the server→client requests still
   * waiting, and tells the Endpoint so it releases per-session upstream state.
   */
  terminate(reason: string): void {
    this.events = undefined;
    this.endedController?.abort();
    const pending = this.pending;
    if (pending !== undefined && pending.size > 0) {
      for (const entry of [...pending.values()]) entry.reject(new McpMethodError(INTERNAL_ERROR, `the client session ended (${reason})`));
    }
    const endpoint = this.endpoint;
    if (endpoint?.sessionEnded !== undefined) {
      try {
        endpoint.sessionEnded(this.id);
      } catch {
        // An Endpoint's cleanup must not keep the session alive.
      }
    }
  }

  /**
   * Writes one message on the stream of `related` when it is answered by a stream, else on the
   * session's own stream. False when no stream took it. `keepIfDown`: see sendOnStream (notifications
   * yes; requests no, they fail at once rather than wait for a resume).
   */
  private deliver(json: string, related: string | number | undefined, keepIfDown: boolean): boolean {
    if (related !== undefined) {
      const sink = this.calls.get(related)?.sink;
      if (sink !== undefined && sink(json) !== false) return true;
    }
    return this.sendOnStream(json, keepIfDown);
  }
}

export interface SessionStoreOptions {
  readonly idleMs: number;
  readonly now: () => number;
  readonly onCount?: (transport: TransportKind, delta: 1 | -1) => void;
  /** Limit for the client's answer to a server→client request (default 10 min). */
  readonly clientRequestTimeoutMs?: number;
  readonly log?: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

/** Live sessions by id, with per-transport counts and idle expiry of Streamable HTTP sessions. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private streamable = 0;
  private sse = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly opts: SessionStoreOptions) {}

  counts(): { streamable: number; sse: number } {
    return { streamable: this.streamable, sse: this.sse };
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Whether the idle sweep interval is scheduled. */
  get sweeping(): boolean {
    return this.sweeper !== undefined;
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  add(session: Session): void {
    this.sessions.set(session.id, session);
    if (this.opts.clientRequestTimeoutMs !== undefined) session.clientRequestTimeoutMs = this.opts.clientRequestTimeoutMs;
    if (session.transport === 'streamable') {
      this.streamable++;
      if (this.sweeper === undefined) {
        // Lookups expire sessions lazily; the sweep frees the memory of clients that never come back.
        this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(this.opts.idleMs, 60_000)));
        this.sweeper.unref?.();
      }
    } else this.sse++;
    this.opts.onCount?.(session.transport, 1);
  }

  /**
   * The live session `id` of `transport` on `prefix`, touched; undefined when unknown, ended, idle
   * past its limit or bound to another prefix or transport (all of which answer 404).
   */
  lookup(id: string, prefix: string, transport: TransportKind): Session | undefined {
    const session = this.sessions.get(id);
    if (session === undefined || session.prefix !== prefix || session.transport !== transport) return undefined;
    const now = this.opts.now();
    if (transport === 'streamable' && !session.busy && now - session.lastActive > this.opts.idleMs) {
      this.end(session, 'session expired');
      return undefined;
    }
    session.lastActive = now;
    return session;
  }

  /**
   * Ends a session: aborts its calls (their answers dropped), closes its stream, forgets it, and tells
   * its Endpoint (`sessionEnded`). Idempotent; also used for sessions never added (failed initialize).
   */
  end(session: Session, reason: string): void {
    if (session.closed) return;
    session.closed = true;
    if (this.sessions.get(session.id) === session) {
      this.sessions.delete(session.id);
      if (session.transport === 'streamable') {
        this.streamable--;
        if (this.streamable === 0) this.stopSweeper();
      } else this.sse--;
      this.opts.onCount?.(session.transport, -1);
    }
    for (const call of session.calls.values()) call.abort(reason, true);
    const stream = session.stream;
    session.stream = undefined;
    stream?.close();
    session.terminate(reason);
  }

  /** Ends Streamable HTTP sessions idle longer than the limit; returns how many. */
  sweep(): number {
    const now = this.opts.now();
    let ended = 0;
    for (const session of this.sessions.values()) {
      if (session.transport === 'streamable' && !session.busy && now - session.lastActive > this.opts.idleMs) {
        this.end(session, 'session expired');
        ended++;
      }
    }
    if (ended > 0) this.opts.log?.('debug', 'mcp: idle sessions expired', { count: ended });
    return ended;
  }

  /** Stops the sweep timer (shutdown). */
  stopSweeper(): void {
    if (this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
