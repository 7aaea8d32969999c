/**
 * Streamable HTTP (`/{prefix}/mcp`, protocol 2025-03-26 and later; spec `basic/transports`).
 *
 * - POST carries one message (or, in 2025-03-26, a batch). Requests are answered with one JSON body:
 *   the fastest path, and allowed by the spec. An SSE answer is used only when the request asked for
 *   progress (`_meta.progressToken`) and the client accepts text/event-stream, or when it accepts
 *   nothing but text/event-stream. Notifications and responses get 202 with no body.
 * - GET opens the session's one server→client stream (list_changed notifications).
 * - Resumability (resume.ts): every SSE event carries the id `<stream>-<seq>` (stream 0 is the GET
 *   stream, 1, 2, … the SSE-answered POSTs) and the session keeps the last ones per stream. A GET with
 *   `Last-Event-ID` replays the kept events after that id from that stream only: for the GET stream it
 *   then goes on as the GET stream (replacing a connection still open); for a POST stream whose answer
 *   is still to come it takes the stream over and ends after the answer, else it ends after the replay.
 *   A malformed id answers 400; an id of an unknown or no longer kept POST stream opens a plain GET
 *   stream; evicted events are lost (the replay starts at the oldest kept one).
 * - DELETE ends the session.
 */
import type { Endpoint } from '../routing/endpoint.ts';
import type { TransportCore } from './core.ts';
import type { CorsHeaders } from './cors.ts';
import { Dispatcher } from './dispatch.ts';
import {
  type AcceptFlags,
  acceptFlags,
  accepted,
  headers,
  HttpRequestView,
  isJsonContentType,
  JSON_HEADERS,
  jsonResponse,
  readBody,
  rpcError,
  TOO_LARGE,
  UNREADABLE,
} from './http.ts';
import {
  classify,
  INVALID_REQUEST,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type MessageKind,
  PARSE_ERROR,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
} from './jsonrpc.ts';
import { allowsBatch, isSupportedVersion, LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from './protocol.ts';
import { GET_STREAM, parseEventId } from './resume.ts';
import { Session } from './session.ts';
import { SSE_HEADERS, SseStream } from './sse-writer.ts';

export const STREAMABLE_ALLOW = 'GET, POST, DELETE, OPTIONS';

function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

export class StreamableTransport {
  constructor(private readonly core: TransportCore) {}

  /** `principal`: on routers with `auth`, who the request's token names; sessions are bound to it. */
  async post(req: Request, endpoint: Endpoint, cors: CorsHeaders, principal?: string): Promise<Response> {
    const accept = acceptFlags(req.headers.get('accept'));
    if (!accept.json && !accept.sse) {
      return rpcError(406, SERVER_ERROR, 'Not Acceptable: Accept must include application/json or text/event-stream', cors);
    }
    if (!isJsonContentType(req.headers.get('content-type'))) {
      return rpcError(415, SERVER_ERROR, 'Unsupported Media Type: Content-Type must be application/json', cors);
    }
    const text = await readBody(req, this.core.maxRequestBytes);
    if (text === TOO_LARGE) {
      return rpcError(413, SERVER_ERROR, `Payload Too Large: the body exceeds ${this.core.maxRequestBytes} bytes`, cors);
    }
    if (text === UNREADABLE) return rpcError(400, PARSE_ERROR, 'Parse error: the request body could not be read', cors);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return rpcError(400, PARSE_ERROR, `Parse error: ${err instanceof Error ? err.message : 'invalid JSON'}`, cors);
    }
    const sessionId = req.headers.get('mcp-session-id');
    if (Array.isArray(parsed)) return this.batch(req, parsed, sessionId, endpoint, accept, cors, principal);

    const kind = classify(parsed);
    if (kind === 'invalid') return rpcError(400, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message', cors);
    if (kind === 'request' && (parsed as JsonRpcRequest).method === 'initialize') {
      return this.initialize(req, parsed as JsonRpcRequest, sessionId, endpoint, accept, cors, principal);
    }
    const session = this.session(req, sessionId, endpoint, cors, principal);
    if (session instanceof Response) return session;
    if (kind === 'notification') {
      this.core.dispatcher.notification(parsed as JsonRpcNotification, session);
      return accepted(cors);
    }
    if (kind === 'response') {
      // The client's answer to a server→client request (sampling, elicitation, roots).
      session.respond(parsed as { id?: unknown });
      return accepted(cors);
    }

    const msg = parsed as JsonRpcRequest;
    const view = new HttpRequestView(req.headers, req);
    if (wantsStream(accept, msg, session, endpoint)) return this.stream([msg], [kind], [msg], session, endpoint, view, cors);
    const body = await this.core.dispatcher.request(msg, session, endpoint, view, undefined);
    // A cancelled request gets no JSON-RPC answer (spec: Cancellation); 202 releases the client's POST.
    return body === undefined ? accepted(cors) : jsonResponse(200, body, cors);
  }

  get(req: Request, endpoint: Endpoint, cors: CorsHeaders, principal?: string): Response {
    if (!acceptFlags(req.headers.get('accept') ?? 'none').sse) {
      return rpcError(406, SERVER_ERROR, 'Not Acceptable: Accept must include text/event-stream', cors);
    }
    const session = this.session(req, req.headers.get('mcp-session-id'), endpoint, cors, principal);
    if (session instanceof Response) return session;
    const lastEventId = req.headers.get('last-event-id');
    const resume = lastEventId === null ? undefined : parseEventId(lastEventId.trim());
    if (lastEventId !== null && resume === undefined) {
      return rpcError(400, SERVER_ERROR, `Bad Request: malformed Last-Event-ID: ${clip(lastEventId)}`, cors);
    }
    if (resume !== undefined && resume.stream !== GET_STREAM) {
      const log = session.events;
      const open = log?.open.get(resume.stream);
      const replay = log?.after(resume.stream, resume.seq) ?? [];
      if (open !== undefined || replay.length > 0) {
        const conn = new SseStream(this.core.hub);
        for (const [id, json] of replay) conn.message(json, id);
        if (open !== undefined) open.attach(conn);
        else conn.close();
        return new Response(conn.body, { status: 200, headers: headers(SSE_HEADERS, cors) });
      }
      // A POST stream we know nothing (more) about: a plain GET stream.
    }
    const current = session.stream;
    if (current !== undefined && !current.closed) {
      // A resume of the GET stream means the client lost it, whatever we think: take it over.
      if (resume?.stream !== GET_STREAM) return rpcError(409, SERVER_ERROR, 'Conflict: Only one SSE stream is allowed per session', cors);
      session.stream = undefined;
      current.close();
    }
    const stream = new SseStream(this.core.hub, (s) => {
      if (session.stream === s) {
        session.stream = undefined;
        session.lastActive = this.core.now();
      }
    });
    if (resume?.stream === GET_STREAM) {
      for (const [id, json] of session.events?.after(GET_STREAM, resume.seq) ?? []) stream.message(json, id);
    }
    session.stream = stream;
    session.getOpened = true;
    return new Response(stream.body, { status: 200, headers: headers(SSE_HEADERS, cors) });
  }

  delete(req: Request, endpoint: Endpoint, cors: CorsHeaders, principal?: string): Response {
    const session = this.session(req, req.headers.get('mcp-session-id'), endpoint, cors, principal);
    if (session instanceof Response) return session;
    this.core.store.end(session, 'session deleted by the client');
    return new Response(null, { status: 204, headers: cors });
  }

  /**
   * The live session named by the request, or the error answer (400 missing, 404 unknown, 403 another
   * principal's, 400 version).
   */
  private session(req: Request, id: string | null, endpoint: Endpoint, cors: CorsHeaders, principal: string | undefined): Session | Response {
    if (id === null || id === '') return rpcError(400, SERVER_ERROR, 'Bad Request: Mcp-Session-Id header is required', cors);
    const session = this.core.store.lookup(id, endpoint.prefix, 'streamable');
    if (session === undefined) return rpcError(404, SESSION_NOT_FOUND, 'Session not found', cors);
    if (session.principal !== principal) return sessionOfAnother(cors);
    // After a reload the prefix may be served by a new Endpoint: it is the one to tell when the session ends.
    session.endpoint = endpoint;
    // Without the header we know the negotiated version anyway, so its absence is not an error.
    const version = req.headers.get('mcp-protocol-version');
    if (version !== null && version !== session.protocolVersion) {
      return rpcError(
        400,
        SERVER_ERROR,
        isSupportedVersion(version)
          ? `Bad Request: MCP-Protocol-Version ${version} does not match the negotiated version ${session.protocolVersion}`
          : `Bad Request: Unsupported protocol version: ${clip(version)} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
        cors,
      );
    }
    return session;
  }

  private async initialize(
    req: Request,
    msg: JsonRpcRequest,
    sessionId: string | null,
    endpoint: Endpoint,
    accept: AcceptFlags,
    cors: CorsHeaders,
    principal: string | undefined,
  ): Promise<Response> {
    if (sessionId !== null) {
      return rpcError(400, INVALID_REQUEST, 'Invalid Request: initialize must not carry an Mcp-Session-Id', cors, msg.id);
    }
    const core = this.core;
    const session = new Session(crypto.randomUUID(), 'streamable', endpoint.prefix, endpoint.listHash, LATEST_PROTOCOL_VERSION, core.now());
    session.endpoint = endpoint;
    session.principal = principal;
    const body = (await core.dispatcher.request(msg, session, endpoint, new HttpRequestView(req.headers, req), undefined))!;
    // A failed initialize (bad params, refused by the Endpoint) creates no session; what the Endpoint
    // may have set up for it is released.
    if (!session.initialized) {
      core.store.end(session, 'initialize failed');
      return jsonResponse(200, body, cors);
    }
    core.store.add(session);
    const extra = cors === undefined ? { 'mcp-session-id': session.id } : { ...cors, 'mcp-session-id': session.id };
    if (!accept.json) {
      const stream = new SseStream(core.hub);
      stream.message(body);
      stream.close();
      return new Response(stream.body, { status: 200, headers: headers(SSE_HEADERS, extra) });
    }
    return new Response(body, { status: 200, headers: headers(JSON_HEADERS, extra) });
  }

  private batch(
    req: Request,
    items: unknown[],
    sessionId: string | null,
    endpoint: Endpoint,
    accept: AcceptFlags,
    cors: CorsHeaders,
    principal: string | undefined,
  ): Response | Promise<Response> {
    if (items.length === 0) return rpcError(400, INVALID_REQUEST, 'Invalid Request: empty batch', cors);
    const kinds: MessageKind[] = new Array(items.length);
    const requests: JsonRpcRequest[] = [];
    for (let i = 0; i < items.length; i++) {
      const kind = classify(items[i]);
      if (kind === 'invalid') return rpcError(400, INVALID_REQUEST, `Invalid Request: batch item ${i} is not a JSON-RPC 2.0 message`, cors);
      if (kind === 'request') {
        const msg = items[i] as JsonRpcRequest;
        if (msg.method === 'initialize') return rpcError(400, INVALID_REQUEST, 'Invalid Request: initialize must not be part of a batch', cors);
        requests.push(msg);
      }
      kinds[i] = kind;
    }
    const session = this.session(req, sessionId, endpoint, cors, principal);
    if (session instanceof Response) return session;
    if (!allowsBatch(session.protocolVersion)) {
      return rpcError(400, INVALID_REQUEST, `Invalid Request: batches are not supported in protocol version ${session.protocolVersion}`, cors);
    }
    const view = new HttpRequestView(req.headers, req);
    if (requests.length > 0 && requests.some((r) => wantsStream(accept, r, session, endpoint))) {
      return this.stream(items, kinds, requests, session, endpoint, view, cors);
    }
    const pending: Promise<string | undefined>[] = [];
    for (let i = 0; i < items.length; i++) {
      const kind = kinds[i];
      if (kind === 'request') pending.push(this.core.dispatcher.request(items[i] as JsonRpcRequest, session, endpoint, view, undefined));
      else if (kind === 'notification') this.core.dispatcher.notification(items[i] as JsonRpcNotification, session);
      else session.respond(items[i] as { id?: unknown });
    }
    if (pending.length === 0) return accepted(cors);
    return Promise.all(pending).then((bodies) => {
      const kept = bodies.filter((b): b is string => b !== undefined);
      return kept.length === 0 ? accepted(cors) : jsonResponse(200, `[${kept.join(',')}]`, cors);
    });
  }

  /**
   * Answers with an SSE stream: each request's progress notifications, then its answer, as `message`
   * events; the stream ends after the last answer. A client that drops the stream does not cancel the
   * calls (spec: disconnection is not cancellation).
   */
  private stream(
    items: readonly unknown[],
    kinds: readonly MessageKind[],
    requests: readonly JsonRpcRequest[],
    session: Session,
    endpoint: Endpoint,
    view: HttpRequestView,
    cors: CorsHeaders,
  ): Response {
    const { dispatcher, hub } = this.core;
    const conn = new SseStream(hub);
    // Its messages carry ids and are kept for a Last-Event-ID resume (resume.ts).
    const stream = session.postStream(conn);
    const sink = (json: string): boolean => stream.send(json);
    let pending = requests.length;
    const done = (body: string | undefined): void => {
      if (body !== undefined) stream.send(body);
      if (--pending === 0) stream.end();
    };
    for (let i = 0; i < items.length; i++) {
      const kind = kinds[i];
      if (kind === 'request') void dispatcher.request(items[i] as JsonRpcRequest, session, endpoint, view, sink).then(done);
      else if (kind === 'notification') dispatcher.notification(items[i] as JsonRpcNotification, session);
      else session.respond(items[i] as { id?: unknown });
    }
    return new Response(conn.body, { status: 200, headers: headers(SSE_HEADERS, cors) });
  }
}

/**
 * The answer to a request for a session created with another principal's token (or, after a reload
 * changed the router's `auth`, with none): the session exists, but not for this caller.
 */
export function sessionOfAnother(cors: CorsHeaders): Response {
  return rpcError(403, SERVER_ERROR, 'Forbidden: the session belongs to another principal', cors);
}

/**
 * SSE answer: the client takes only SSE, or takes SSE and either the request wants progress or an
 * upstream may send the client requests while serving it (spec: the server MAY send requests related to
 * the client's request on its SSE stream). The latter needs a client that declared sampling, elicitation
 * or roots and an Endpoint that relays them, i.e. tracks client sessions (`sessionEnded`).
 */
function wantsStream(accept: AcceptFlags, msg: JsonRpcRequest, session: Session, endpoint: Endpoint): boolean {
  if (!accept.sse) return false;
  if (!accept.json || Dispatcher.progressToken(msg) !== undefined) return true;
  return session.relays && endpoint.sessionEnded !== undefined && RELAYING_METHODS.has(msg.method);
}

/** Requests during which an upstream may send sampling, elicitation or roots requests. */
const RELAYING_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);
