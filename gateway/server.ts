/**
 * The gateway's HTTP surface: a few static routes and one catch-all that resolves the prefix in the live
 * route table and hands the request to the MCP transport. Exported for in-process tests (`app.handle`).
 */
import { Elysia } from 'elysia';
import { type McpTransport, protectedResourceMetadata, RESOURCE_METADATA_PATH } from './mcp/index.ts';
import type { GatewayMetrics } from './obs/metrics.ts';
import type { RouteTable, TableSwitch } from './routing/table.ts';

/** What `/_status` reports; produced by whoever owns the config lifecycle. */
export interface GatewayStatus {
  /** Whether a revision is being served. */
  readonly ready: boolean;
  /** Why not ready (the load error), shown on 503 answers. */
  readonly reason?: string;
  readonly revision?: string;
  readonly doc: () => Record<string, unknown>;
}

/** Answers `POST /_reload` (the webhook); owns authentication and the reload it triggers. */
export type ReloadHandler = (req: Request) => Promise<Response>;

export interface GatewayDeps {
  readonly routes: TableSwitch;
  readonly transport: McpTransport;
  readonly metrics: GatewayMetrics;
  readonly status: () => GatewayStatus;
  readonly version: string;
  readonly reload?: ReloadHandler;
}

const JSON_HEADERS = Object.freeze({ 'content-type': 'application/json' });

function jsonError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), { status, headers: JSON_HEADERS });
}

/**
 * RFC 9728 metadata of a router with `auth`: `/.well-known/oauth-protected-resource<prefix>` (optionally
 * followed by `/mcp`, `/sse` or `/message`: the path form of the resource URL the spec's clients try) and
 * `<prefix>/.well-known/oauth-protected-resource` (the URL our challenges name). Undefined otherwise.
 */
function resourceMetadata(table: RouteTable, request: Request, pathname: string): Response | undefined {
  if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
  let prefix: string;
  if (pathname.startsWith(`${RESOURCE_METADATA_PATH}/`)) prefix = pathname.slice(RESOURCE_METADATA_PATH.length);
  else if (pathname.endsWith(RESOURCE_METADATA_PATH)) prefix = pathname.slice(0, -RESOURCE_METADATA_PATH.length);
  else return undefined;
  const match = table.match(prefix);
  if (match !== undefined) return match.auth === undefined ? undefined : protectedResourceMetadata(request, match.endpoint.prefix, match.auth);
  const endpoint = table.get(prefix);
  const auth = endpoint === undefined ? undefined : table.authOf(endpoint);
  return endpoint === undefined || auth === undefined ? undefined : protectedResourceMetadata(request, endpoint.prefix, auth);
}

/**
 * Builds the gateway's Elysia app. The MCP catch-all is served two ways by the same handler: as a Bun
 * native route (`serve.routes['/*']`, which `listen` passes to Bun.serve next to the static routes
 * Elysia maps there itself), so a request on a socket reaches it without Elysia's router and context;
 * and as an Elysia `all('/*')` route, so `app.handle(req)` serves it in-process. Bun matches exact
 * routes first, so the static routes still win on a socket.
 */
export function createGatewayApp(deps: GatewayDeps) {
  const { routes, transport, metrics } = deps;
  const mcp = (request: Request): Response | Promise<Response> => {
    const url = request.url;
    // Cheap pathname extraction: skip scheme and authority without building a URL object.
    const pathStart = url.indexOf('/', url.indexOf('//') + 2);
    const queryStart = url.indexOf('?', pathStart);
    const pathname = url.slice(pathStart, queryStart < 0 ? undefined : queryStart);
    const table = routes.current;
    const match = table.match(pathname);
    if (match) return transport.handle(request, match.endpoint, match.kind, match.auth);
    if (pathname.includes(RESOURCE_METADATA_PATH)) {
      const metadata = resourceMetadata(table, request, pathname);
      if (metadata !== undefined) return metadata;
    }
    const status = deps.status();
    if (!status.ready && /\/(mcp|sse|message)\/?$/.test(pathname)) {
      metrics.http('unavailable', 503);
      return jsonError(503, 'not_ready', `no config revision is being served: ${status.reason ?? 'loading'}`);
    }
    metrics.http('not_found', 404);
    return jsonError(404, 'not_found', `no router serves ${pathname}`);
  };
  return new Elysia({ name: 'mcp-gateway', serve: { routes: { '/*': mcp } } })
    .get('/health_check', () => {
      const s = deps.status();
      const body = { status: s.ready ? 'ok' : 'unavailable', revision: s.revision ?? null, version: deps.version };
      return new Response(JSON.stringify(body), { status: s.ready ? 200 : 503, headers: JSON_HEADERS });
    })
    .get('/metrics', async () => new Response(await metrics.render(), { headers: { 'content-type': metrics.contentType } }))
    .post('/_reload', ({ request }) =>
      deps.reload ? deps.reload(request) : jsonError(404, 'not_found', 'reload webhook not enabled'),
    { parse: 'none' })
    .get('/_status', () => new Response(JSON.stringify(deps.status().doc()), { headers: JSON_HEADERS }))
    .all('/*', ({ request }) => mcp(request), { parse: 'none' });
}

export type GatewayApp = ReturnType<typeof createGatewayApp>;
