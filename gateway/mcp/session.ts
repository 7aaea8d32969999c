/**
 * Sessions and in-flight calls. A session belongs to one router prefix and one transport; it holds what
 * `initialize` negotiated, the calls that can still be cancelled and the stream server messages go to.
 * The store is a plain Map: a lookup per request, nothing else.
 */
import type { ClientCapabilities, Implementation, LoggingLevel } from '@modelcontextprotocol/sdk/spec.types.js';
import type { CallContext, RequestView } from '../routing/endpoint.ts';
import type { JsonRpcId } from './jsonrpc.ts';
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

  constructor(
    readonly request: RequestView,
    readonly sessionId: string | undefined,
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

export class Session {
  /** Negotiated by `initialize`; until then the transport's default. */
  protocolVersion: string;
  /** `initialize` has been answered. */
  initialized = false;
  clientInfo: Implementation | undefined;
  clientCapabilities: ClientCapabilities | undefined;
  /** Set by logging/setLevel; we emit no log notifications yet, but clients may set it. */
  logLevel: LoggingLevel | undefined;
  lastActive: number;
  /** In-flight requests by JSON-RPC id, for notifications/cancelled and duplicate-id detection. */
  readonly calls = new Map<JsonRpcId, Call>();
  /** Streamable: the GET stream, if open. Legacy: the SSE stream the session lives on. */
  stream: SseStream | undefined;
  /** The endpoint's listHash the client last heard about; a different one triggers list_changed. */
  listHash: string;
  closed = false;
  private eventSeq = 0;

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

  /** SSE event id, unique across the session's streams (spec: Resumability). */
  nextEventId(): string {
    return String(++this.eventSeq);
  }

  /** Has an open stream or a call in flight: never idle. */
  get busy(): boolean {
    return this.calls.size > 0 || (this.stream !== undefined && !this.stream.closed);
  }
}

export interface SessionStoreOptions {
  readonly idleMs: number;
  readonly now: () => number;
  readonly onCount?: (transport: TransportKind, delta: 1 | -1) => void;
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

  /** Ends a session: aborts its calls (their answers dropped), closes its stream, forgets it. Idempotent. */
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
