/**
 * The gateway's HTTP surface: a few static routes and one catch-all that resolves the prefix in the live
 * route table and hands the request to the MCP transport. Exported for in-process tests (`app.handle`).
 */
import { Elysia } from 'elysia';
import type { McpTransport } from './mcp/index.ts';
import type { GatewayMetrics } from './obs/metrics.ts';
import type { TableSwitch } from './routing/table.ts';

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
    const match = routes.current.match(pathname);
    if (match) return transport.handle(request, match.endpoint, match.kind);
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
