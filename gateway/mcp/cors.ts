/**
 * Origin validation and CORS (spec `basic/transports` › Security Warning; 2025-11-25: an invalid Origin
 * MUST get 403). Requests without `Origin` (every non-browser client) skip all of this.
 */
import type { CompiledCors } from '../routing/endpoint.ts';
import type { HeaderInit } from './http.ts';
import { rpcError } from './http.ts';
import { SERVER_ERROR } from './jsonrpc.ts';

/** What the transport must send back with every answer to an allowed cross-origin request. */
export type CorsHeaders = HeaderInit | undefined;

/** Verdict on a request's Origin: `false` = refuse with 403; otherwise the CORS headers to add (maybe none). */
export type OriginVerdict = false | CorsHeaders;

/** Headers a browser client must be able to read whatever the config says. */
const ALWAYS_EXPOSED = ['Mcp-Session-Id', 'MCP-Protocol-Version', 'WWW-Authenticate'];
/** Request headers the transports need; a configured list is extended with them. */
const ALWAYS_ALLOWED = ['Content-Type', 'Accept', 'Authorization', 'Mcp-Session-Id', 'MCP-Protocol-Version', 'Last-Event-ID'];
const DEFAULT_MAX_AGE = '600';

const exposeCache = new WeakMap<CompiledCors, string>();
const allowHeadersCache = new WeakMap<CompiledCors, string>();

/** `configured` (comma-separated) plus the `required` names it lacks, compared case-insensitively. */
function union(configured: string, required: readonly string[]): string {
  const names = configured
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const seen = new Set(names.map((n) => n.toLowerCase()));
  for (const name of required) if (!seen.has(name.toLowerCase())) names.push(name);
  return names.join(', ');
}

function exposeHeaders(cors: CompiledCors): string {
  let value = exposeCache.get(cors);
  if (value === undefined) {
    value = union(cors.exposeHeaders, ALWAYS_EXPOSED);
    exposeCache.set(cors, value);
  }
  return value;
}

/** Configured allow-headers plus what MCP needs; none configured → echo what the browser asks for. */
function allowHeaders(cors: CompiledCors, requested: string | null): string {
  if (cors.allowHeaders === '') return union(requested ?? '', ALWAYS_ALLOWED);
  let value = allowHeadersCache.get(cors);
  if (value === undefined) {
    value = union(cors.allowHeaders, ALWAYS_ALLOWED);
    allowHeadersCache.set(cors, value);
  }
  return value;
}

function corsAllows(cors: CompiledCors | undefined, origin: string): cors is CompiledCors {
  return cors !== undefined && (cors.anyOrigin || cors.origins.has(origin));
}

function allowedHeaders(cors: CompiledCors, origin: string): HeaderInit {
  const h: Record<string, string> = {
    'access-control-allow-origin': origin,
    vary: 'Origin',
    'access-control-expose-headers': exposeHeaders(cors),
  };
  if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true';
  return h;
}

/**
 * Allowed iff there is no Origin (non-browser clients) or the router's CORS policy lists it (or allows
 * any). There is deliberately no same-origin exception: the gateway serves no pages of its own, so a
 * browser Origin matching the Host is exactly what a DNS-rebinding page sends (`Host: evil.example`,
 * `Origin: http://evil.example`), and the spec requires refusing it.
 */
export function checkOrigin(req: Request, cors: CompiledCors | undefined): OriginVerdict {
  const origin = req.headers.get('origin');
  if (origin === null) return undefined;
  if (corsAllows(cors, origin)) return allowedHeaders(cors, origin);
  return false;
}

/** The 403 for a foreign Origin: a JSON-RPC error without id, as 2025-11-25 suggests. */
export function forbiddenOrigin(): Response {
  return rpcError(403, SERVER_ERROR, 'Forbidden: Origin not allowed');
}

/**
 * Answers OPTIONS (the Origin has already been accepted). Without a CORS policy for the origin the
 * answer only lists the methods; with one it is a full preflight answer.
 */
export function preflight(req: Request, cors: CompiledCors | undefined, allow: string): Response {
  const origin = req.headers.get('origin');
  const h: Record<string, string> = { allow };
  if (origin !== null && corsAllows(cors, origin)) {
    h['access-control-allow-origin'] = origin;
    h.vary = 'Origin, Access-Control-Request-Headers';
    h['access-control-allow-methods'] = cors.allowMethods || allow;
    h['access-control-allow-headers'] = allowHeaders(cors, req.headers.get('access-control-request-headers'));
    h['access-control-max-age'] = cors.maxAge === undefined ? DEFAULT_MAX_AGE : String(cors.maxAge);
    h['access-control-expose-headers'] = exposeHeaders(cors);
    if (cors.allowCredentials) h['access-control-allow-credentials'] = 'true';
  }
  return new Response(null, { status: 204, headers: h });
}
