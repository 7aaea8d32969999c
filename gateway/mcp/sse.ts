/**
 * The legacy HTTP+SSE transport (protocol 2024-11-05, spec `basic/transports` › HTTP with SSE):
 * `GET /{prefix}/sse` opens the stream and announces the POST URL in an `endpoint` event;
 * `POST /{prefix}/message?sessionId=` answers 202 and pushes the JSON-RPC answer on the stream.
 *
 * The session lives exactly as long as its stream: the moment the client goes away (stream cancel or
 * request abort) the session is forgotten and its calls aborted. The `MCP-Protocol-Version` header
 * belongs to Streamable HTTP and is ignored here.
 */
import type { Endpoint } from '../routing/endpoint.ts';
import type { TransportCore } from './core.ts';
import type { CorsHeaders } from './cors.ts';
import { headers, HttpRequestView, isJsonContentType, queryParam, readBody, rpcError, TOO_LARGE, UNREADABLE } from './http.ts';
import {
  classify,
  INVALID_REQUEST,
  type JsonRpcNotification,
  type JsonRpcRequest,
  PARSE_ERROR,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
} from './jsonrpc.ts';
import { allowsBatch, LEGACY_PROTOCOL_VERSION } from './protocol.ts';
import { Session } from './session.ts';
import { SSE_HEADERS, SseStream } from './sse-writer.ts';
import { sessionOfAnother } from './streamable.ts';

export const SSE_ALLOW = 'GET, OPTIONS';
export const MESSAGE_ALLOW = 'POST, OPTIONS';

const ACCEPTED_HEADERS = Object.freeze({ 'content-type': 'text/plain; charset=utf-8' });

const messagePaths = new WeakMap<Endpoint, string>();

/**
 * `<ssePrefix><prefix>/message`, joined with exactly one slash. An ssePrefix without a leading slash
 * (and not an absolute URL) gets one, so the client never resolves it relative to `/sse`.
 */
export function messagePath(ssePrefix: string, prefix: string): string {
  let base = ssePrefix;
  while (base.endsWith('/')) base = base.slice(0, -1);
  if (base !== '' && !base.startsWith('/') && !base.includes('://')) base = `/${base}`;
  return `${base}${prefix.startsWith('/') ? prefix : `/${prefix}`}/message`;
}

export class LegacySseTransport {
  constructor(private readonly core: TransportCore) {}

  /** `principal`: on routers with `auth`, who the request's token names; the session is bound to it. */
  open(req: Request, endpoint: Endpoint, cors: CorsHeaders, principal?: string): Response {
    const { store, hub, now } = this.core;
    let path = messagePaths.get(endpoint);
    if (path === undefined) {
      path = messagePath(endpoint.ssePrefix, endpoint.prefix);
      messagePaths.set(endpoint, path);
    }
    const id = crypto.randomUUID();
    const session = new Session(id, 'sse', endpoint.prefix, endpoint.listHash, LEGACY_PROTOCOL_VERSION, now(), new HttpRequestView(req.headers, req.url));
    session.endpoint = endpoint;
    session.principal = principal;
    const stream = new SseStream(hub, () => store.end(session, 'client disconnected'), `event: endpoint\ndata: ${path}?sessionId=${id}\n\n`);
    session.stream = stream;
    store.add(session);
    stream.bindTo(req.signal);
    return new Response(stream.body, { status: 200, headers: headers(SSE_HEADERS, cors) });
  }

  async message(req: Request, endpoint: Endpoint, cors: CorsHeaders, principal?: string): Promise<Response> {
    const core = this.core;
    const id = queryParam(req.url, 'sessionId');
    if (id === undefined || id === '') return rpcError(400, SERVER_ERROR, 'Bad Request: sessionId query parameter is required', cors);
    const session = core.store.lookup(id, endpoint.prefix, 'sse');
    if (session === undefined) return rpcError(404, SESSION_NOT_FOUND, 'Session not found', cors);
    if (session.principal !== principal) return sessionOfAnother(cors);
    session.endpoint = endpoint;
    const contentType = req.headers.get('content-type');
    // Old clients may omit Content-Type; an explicit non-JSON type is refused as on Streamable HTTP.
    if (contentType !== null && !isJsonContentType(contentType)) {
      return rpcError(415, SERVER_ERROR, 'Unsupported Media Type: Content-Type must be application/json', cors);
    }
    const text = await readBody(req, core.maxRequestBytes);
    if (text === TOO_LARGE) return rpcError(413, SERVER_ERROR, `Payload Too Large: the body exceeds ${core.maxRequestBytes} bytes`, cors);
    if (text === UNREADABLE) return rpcError(400, PARSE_ERROR, 'Parse error: the request body could not be read', cors);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return rpcError(400, PARSE_ERROR, `Parse error: ${err instanceof Error ? err.message : 'invalid JSON'}`, cors);
    }
    let items: readonly unknown[];
    if (Array.isArray(parsed)) {
      if (parsed.length === 0) return rpcError(400, INVALID_REQUEST, 'Invalid Request: empty batch', cors);
      if (!allowsBatch(session.protocolVersion)) {
        return rpcError(400, INVALID_REQUEST, `Invalid Request: batches are not supported in protocol version ${session.protocolVersion}`, cors);
      }
      for (let i = 0; i < parsed.length; i++) {
        const item = parsed[i] as unknown;
        const kind = classify(item);
        if (kind === 'invalid') return rpcError(400, INVALID_REQUEST, `Invalid Request: batch item ${i} is not a JSON-RPC 2.0 message`, cors);
        if (kind === 'request' && (item as JsonRpcRequest).method === 'initialize') {
          return rpcError(400, INVALID_REQUEST, 'Invalid Request: initialize must not be part of a batch', cors);
        }
      }
      items = parsed;
    } else {
      if (classify(parsed) === 'invalid') return rpcError(400, INVALID_REQUEST, 'Invalid Request: not a JSON-RPC 2.0 message', cors);
      items = [parsed];
    }

    const view = new HttpRequestView(req.headers, req, session.base);
    const push = (json: string): void => {
      session.stream?.message(json);
    };
    for (const item of items) {
      const kind = classify(item);
      if (kind === 'request') {
        // Each answer is its own `message` event (the SDK's SSE client parses one message per event).
        void core.dispatcher.request(item as JsonRpcRequest, session, endpoint, view, push).then((body) => {
          if (body !== undefined) push(body);
        });
      } else if (kind === 'notification') {
        core.dispatcher.notification(item as JsonRpcNotification, session);
      } else {
        // The client's answer to a server→client request (sampling, elicitation, roots).
        session.respond(item as { id?: unknown });
      }
    }
    return new Response('Accepted', { status: 202, headers: headers(ACCEPTED_HEADERS, cors) });
  }
}
