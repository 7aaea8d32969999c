/**
 * HTTP plumbing shared by both transports: bounded body reading, media-type checks, error answers and
 * the request view that templates see. Everything here is on the per-request path, so it avoids
 * building URL objects and header maps unless something asks for them.
 */
import type { RequestView } from '../routing/endpoint.ts';
import { errorBody, type JsonRpcId } from './jsonrpc.ts';

export type HeaderInit = Readonly<Record<string, string>>;

export const JSON_HEADERS: HeaderInit = Object.freeze({ 'content-type': 'application/json' });
export const NO_HEADERS: HeaderInit = Object.freeze({});

/** Merges extra headers (CORS, session id) over a frozen base without copying when there are none. */
export function headers(base: HeaderInit, extra: HeaderInit | undefined): HeaderInit {
  return extra === undefined ? base : { ...base, ...extra };
}

/** A JSON-RPC error answer with an HTTP status; `id` null unless the request's id is known. */
export function rpcError(
  status: number,
  code: number,
  message: string,
  extra?: HeaderInit,
  id: JsonRpcId | null = null,
): Response {
  return new Response(errorBody(id, code, message), { status, headers: headers(JSON_HEADERS, extra) });
}

/** The init of a plain 200 JSON answer, shared: the common answer allocates no init object. */
const JSON_200: ResponseInit = Object.freeze({ status: 200, headers: JSON_HEADERS });

export function jsonResponse(status: number, body: string, extra?: HeaderInit): Response {
  if (status === 200 && extra === undefined) return new Response(body, JSON_200);
  return new Response(body, { status, headers: headers(JSON_HEADERS, extra) });
}

/** 202 with no body: what the spec asks for accepted notifications and responses. */
export function accepted(extra?: HeaderInit): Response {
  return new Response(null, { status: 202, headers: extra ?? NO_HEADERS });
}

/** `Content-Type` is application/json, parameters (charset) allowed. */
export function isJsonContentType(value: string | null): boolean {
  if (value === null) return false;
  if (value === 'application/json') return true;
  const semi = value.indexOf(';');
  return (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase() === 'application/json';
}

/** What an `Accept` header lets us answer with. */
export interface AcceptFlags {
  /** application/json is acceptable (listed, a wildcard, or no Accept at all). */
  readonly json: boolean;
  /** text/event-stream is listed (or `text/*`). */
  readonly sse: boolean;
}

const ACCEPT_ANY: AcceptFlags = Object.freeze({ json: true, sse: false });
const ACCEPT_BOTH: AcceptFlags = Object.freeze({ json: true, sse: true });

/**
 * Parses `Accept` leniently: a missing header, `*\/*` and `application/*` allow JSON; SSE is allowed
 * only when text/event-stream (or `text/*`) is named. The SDK's own header is the fast path.
 */
export function acceptFlags(value: string | null): AcceptFlags {
  if (value === null || value === '') return ACCEPT_ANY;
  if (value === 'application/json, text/event-stream') return ACCEPT_BOTH;
  const v = value.toLowerCase();
  return {
    json: v.includes('application/json') || v.includes('*/*') || v.includes('application/*'),
    sse: v.includes('text/event-stream') || v.includes('text/*'),
  };
}

export const TOO_LARGE = Symbol('too large');

/**
 * Reads the body as text, refusing more than `max` bytes: by Content-Length before reading, and by
 * counting while reading when the length is unknown (chunked). Never rejects: a client that went away
 * mid-upload, or a broken chunked body, gives UNREADABLE.
 */
export function readBody(req: Request, max: number): Promise<string | typeof TOO_LARGE | typeof UNREADABLE> {
  const length = req.headers.get('content-length');
  if (length === null) return readChunked(req, max).catch(unreadable);
  if (Number(length) > max) return Promise.resolve(TOO_LARGE);
  // The common case stays one native read, without extra async frames around it.
  return req.text().then((text) => (text.length > max ? TOO_LARGE : text), unreadable);
}

export const UNREADABLE = Symbol('unreadable');

function unreadable(): typeof UNREADABLE {
  return UNREADABLE;
}

async function readChunked(req: Request, max: number): Promise<string | typeof TOO_LARGE> {
  const body = req.body;
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** The raw query string of a request URL, without `?`; '' when there is none. */
export function queryString(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return '';
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash < 0 ? undefined : hash);
}

/** One query parameter, decoded; undefined when absent. */
export function queryParam(url: string, name: string): string | undefined {
  const qs = queryString(url);
  if (qs === '') return undefined;
  return new URLSearchParams(qs).get(name) ?? undefined;
}

const canonicalCache = new Map<string, string>();
const CANONICAL_CACHE_MAX = 2048;

/** `x-user-id` → `X-User-Id`, the form Go's net/http (and so the seed system's templates) uses. */
export function canonicalHeaderName(name: string): string {
  const cached = canonicalCache.get(name);
  if (cached !== undefined) return cached;
  let out = '';
  let upper = true;
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  if (canonicalCache.size < CANONICAL_CACHE_MAX) canonicalCache.set(name, out);
  return out;
}

function headerRecord(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  // Fetch Headers join repeated fields with ", "; the joined value is what we can offer as "first".
  h.forEach((value, name) => {
    const key = canonicalHeaderName(name);
    if (!(key in out)) out[key] = value;
  });
  return out;
}

function queryRecord(url: string): Record<string, string> {
  const out: Record<string, string> = {};
  const qs = queryString(url);
  if (qs === '') return out;
  new URLSearchParams(qs).forEach((value, name) => {
    if (!(name in out)) out[name] = value;
  });
  return out;
}

function cookieRecord(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (header === null) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || name in out) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out[name] = value;
  }
  return out;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The client's HTTP request as templates see it, built on first access (most tools never look).
 * `base` is the legacy SSE stream's GET request: its values sit under the POST's own.
 */
export class HttpRequestView implements RequestView {
  private h: Readonly<Record<string, string>> | undefined;
  private q: Readonly<Record<string, string>> | undefined;
  private c: Readonly<Record<string, string>> | undefined;

  constructor(
    private readonly rawHeaders: Headers,
    /** The request URL, or the Request itself: its `url` is then read only when `query` is. */
    private readonly url: string | { readonly url: string },
    private readonly base?: RequestView,
  ) {}

  get headers(): Readonly<Record<string, string>> {
    return (this.h ??= Object.freeze(merge(this.base?.headers, headerRecord(this.rawHeaders))));
  }

  get query(): Readonly<Record<string, string>> {
    return (this.q ??= Object.freeze(merge(this.base?.query, queryRecord(typeof this.url === 'string' ? this.url : this.url.url))));
  }

  get cookies(): Readonly<Record<string, string>> {
    return (this.c ??= Object.freeze(merge(this.base?.cookies, cookieRecord(this.rawHeaders.get('cookie')))));
  }
}

function merge(under: Readonly<Record<string, string>> | undefined, over: Record<string, string>): Record<string, string> {
  return under === undefined || under === EMPTY ? over : { ...under, ...over };
}
