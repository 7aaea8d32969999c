/**
 * The admin's HTTP surface: the REST API under `/api` (documented as OpenAPI at `/swagger/json`), the
 * security headers every response carries, and the one place where typed errors become HTTP statuses.
 * Exported for in-process tests (`app.handle`); `main.ts` listens.
 *
 * API docs: `@elysiajs/swagger` builds the OpenAPI document from the routes' TypeBox schemas. Its UI
 * page loads Scalar or Swagger UI from a CDN, which this offline product cannot rely on and which the
 * strict Content-Security-Policy would block anyway. So `/swagger` is our own static, script-free
 * reference page rendered from the same document, and tools (or a local Swagger UI) read
 * `/swagger/json`. One strict CSP then covers every response.
 */
import { swagger } from '@elysiajs/swagger';
import { Elysia } from 'elysia';
import pkg from '../package.json' with { type: 'json' };
import { type AdminContext, type AdminDeps, createContext } from './context.ts';
import { describeError } from './error-map.ts';
import { type AdminErrorCode, ERROR_STATUS } from './errors.ts';
import { NoQuery } from './model.ts';
import { auditRoutes } from './modules/audit/index.ts';
import { consoleRoutes } from './modules/console/index.ts';
import { consoleError } from './modules/console/http.ts';
import { adminPages } from './modules/console/admin-pages.ts';
import { configPages } from './modules/configs/pages.ts';
import { dashboardPages } from './modules/dashboard/pages.ts';
import { historyPages } from './modules/history/pages.ts';
import { importPages } from './modules/imports/pages.ts';
import { authRoutes } from './modules/auth/index.ts';
import { gatewaysRoutes } from './modules/gateways/index.ts';
import { tenantsRoutes } from './modules/tenants/index.ts';
import { tokensRoutes } from './modules/tokens/index.ts';
import { usersRoutes } from './modules/users/index.ts';
import { trustedOrigins } from './settings.ts';
import type { Viewer } from '../views/layout.tsx';

export const VERSION: string = pkg.version;


export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Headers on every response, errors and 404s included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
});

function errorResponse(code: AdminErrorCode, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { code, message, ...extra } }, { status: ERROR_STATUS[code], headers });
}

/** Maps anything thrown by a route to the JSON error body; the only place statuses are chosen. */
function mapError(code: string | number, error: unknown, request: Request): Response {
  const e = describeError(code, error, request);
  const headers: Record<string, string> = e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {};
  return errorResponse(e.code, e.message, e.path !== undefined ? { path: e.path } : {}, headers);
}

const API_PATHS = ['/api', '/swagger', '/health_check'];

function isApiPath(url: string): boolean {
  const path = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  return API_PATHS.some((p) => path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}?`));
}

/** Builds the admin app from its dependencies; nothing listens until the caller calls `listen`. */
export function createAdminApp(deps: AdminDeps) {
  const ctx: AdminContext = createContext(deps);
  const api = new Elysia({ prefix: '/api' })
    .use(authRoutes(ctx))
    .use(usersRoutes(ctx))
    .use(tenantsRoutes(ctx))
    .use(tokensRoutes(ctx))
    .use(auditRoutes(ctx))
    .use(gatewaysRoutes(ctx));

  // The docs page renders the app's own OpenAPI document; `app` is assigned below.
  let spec = async (): Promise<OpenApiDoc> => ({});
  // normalize: false makes unknown keys in bodies and queries an error instead of silently dropping
  // them, and makes a response with a field outside its schema fail loudly in tests.
  const app = new Elysia({ name: 'mcp-admin', normalize: false })
    .onRequest(({ request, set }) => {
      Object.assign(set.headers, SECURITY_HEADERS);
      const url = request.url;
      const path = url.slice(url.indexOf('/', url.indexOf('//') + 2));
      if (path.startsWith('/api/') || path === '/api') set.headers['cache-control'] = 'no-store';
    })
    .onError((c) => {
      // The API and its docs answer JSON errors; everything else is the console, which answers HTML.
      const { code, error, request } = c;
      return isApiPath(request.url) ? mapError(code, error, request) : consoleError(error, code, request, (c as { viewer?: Viewer }).viewer);
    })
    .onStart(({ server }) => {
      // Listening on port 0: the default public origin is known only now.
      const port = server?.port;
      if (port !== undefined && port !== deps.settings.port) ctx.origins = trustedOrigins({ ...deps.settings, port });
    })
    .use(
      swagger({
        path: '/swagger',
        specPath: '/swagger/json',
        // The console's HTML pages are not API operations.
        exclude: [/^\/(?!api\/|health_check$)/],
        documentation: {
          info: {
            title: 'MCP gateway admin API',
            version: VERSION,
            description:
              'Accounts, tenants, API tokens, audit log and gateways. Authenticate with the console session cookie ' +
              '(state changes need the X-CSRF-Token header from GET /api/auth/me) or with `Authorization: Bearer mgw_…`. ' +
              'Errors are `{ "error": { "code", "message" } }`.',
          },
          tags: [
            { name: 'auth', description: 'Console sessions and password' },
            { name: 'users', description: 'Accounts (admins)' },
            { name: 'tenants', description: 'Tenants and their members' },
            { name: 'tokens', description: 'API tokens for CI/CD and scripts' },
            { name: 'audit', description: 'Who changed what, when' },
            { name: 'gateways', description: 'The gateways this admin notifies' },
            { name: 'system', description: 'Health and documentation' },
          ],
          components: {
            securitySchemes: {
              session: { type: 'apiKey', in: 'cookie', name: 'mcpgw_session' },
              token: { type: 'http', scheme: 'bearer', description: 'mgw_… API token' },
            },
          },
          security: [{ session: [] }, { token: [] }],
        },
      }),
    )
    // Replaces the plugin's CDN page (see the module comment).
    .get('/swagger', async () => docsPage(await spec()), { detail: { hide: true } })
    .get(
      '/health_check',
      async () => {
        await ctx.store.users.count();
        return { status: 'ok', version: VERSION };
      },
      { query: NoQuery, detail: { tags: ['system'], summary: 'Liveness: answers 200 when the data store answers', security: [] } },
    )
    .use(api)
    .use(consoleRoutes(ctx))
    .use(dashboardPages(ctx))
    .use(configPages(ctx))
    .use(historyPages(ctx))
    .use(importPages(ctx))
    .use(adminPages(ctx));
  spec = async () => (await (await app.handle(new Request('http://localhost/swagger/json'))).json()) as OpenApiDoc;
  return app;
}

export type AdminApp = ReturnType<typeof createAdminApp>;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

interface OpenApiDoc {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, { summary?: string; description?: string; tags?: string[] }>>;
}

/** A script-free HTML reference of the API, from the OpenAPI document. */
function docsPage(doc: OpenApiDoc): Response {
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      rows.push(
        `<tr><td><code>${escapeHtml(method.toUpperCase())}</code></td><td><code>${escapeHtml(path)}</code></td>` +
          `<td>${escapeHtml(op.tags?.join(', ') ?? '')}</td><td>${escapeHtml(op.summary ?? '')}</td></tr>`,
      );
    }
  }
  const title = escapeHtml(doc.info?.title ?? 'API');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>
<body><h1>${title} ${escapeHtml(doc.info?.version ?? '')}</h1>
<p>${escapeHtml(doc.info?.description ?? '')}</p>
<p>OpenAPI document: <a href="/swagger/json">/swagger/json</a> (load it into any OpenAPI viewer).</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Tag</th><th>Summary</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>`;
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } });
}
