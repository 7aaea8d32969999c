/**
 * The console's own routes: static assets (htmx and the stylesheet, served from the project, never a
 * CDN), sign-in and sign-out. The pages live in their feature modules and use `consoleBase`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Elysia, t } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { AdminError } from '../../errors.ts';
import { LoginPage } from '../../../views/login.tsx';
import { loginFrom, sessionCookie } from '../auth/index.ts';
import { logout } from '../auth/service.ts';
import { consoleBase, CSRF_FIELD, html, redirect, safeNext } from './http.ts';

interface Asset {
  body: Uint8Array;
  type: string;
  etag: string;
}

function asset(path: string, type: string): Asset {
  const body = readFileSync(path);
  return { body, type, etag: `"${Bun.hash(body).toString(36)}"` };
}

const ASSETS: Record<string, () => Asset> = {
  'htmx.js': () => asset(fileURLToPath(import.meta.resolve('htmx.org/dist/htmx.min.js')), 'text/javascript; charset=utf-8'),
  'console.css': () => asset(fileURLToPath(new URL('../../../views/console.css', import.meta.url)), 'text/css; charset=utf-8'),
};

export function consoleRoutes(ctx: AdminContext) {
  const loaded = new Map<string, Asset>();
  const maxAge = Math.floor(ctx.sessionTtlMs / 1000);
  return new Elysia()
    .use(consoleBase(ctx))
    .get('/static/:file', ({ params, request }) => {
      const load = ASSETS[params.file];
      if (!load) return new Response('not found', { status: 404 });
      let a = loaded.get(params.file);
      if (!a) loaded.set(params.file, (a = load()));
      const headers = { 'content-type': a.type, etag: a.etag, 'cache-control': 'no-cache' };
      if (request.headers.get('if-none-match') === a.etag) return new Response(null, { status: 304, headers });
      return new Response(a.body, { headers });
    })
    .get('/login', ({ query }) => html(LoginPage({ next: safeNext(query.next) })), { query: t.Object({ next: t.Optional(t.String()) }) })
    .post(
      '/login',
      async ({ body, request, server }) => {
        const next = safeNext(body.next);
        try {
          const opened = await loginFrom(ctx, server, request, body);
          const res = redirect(request, next);
          res.headers.set('set-cookie', sessionCookie(ctx, opened.cookieValue, maxAge));
          return res;
        } catch (e) {
          if (!(e instanceof AdminError)) throw e;
          const status = e.code === 'rate_limited' ? 429 : e.code === 'csrf' ? 403 : 401;
          const headers: Record<string, string> = e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {};
          return html(LoginPage({ next, username: body.username, error: e.message }), status, headers);
        }
      },
      { body: t.Object({ username: t.String({ maxLength: 200 }), password: t.String({ maxLength: 1024 }), next: t.Optional(t.String()) }) },
    )
    .post(
      '/logout',
      async ({ principal, request }) => {
        await logout(ctx, principal);
        const res = redirect(request, '/login');
        res.headers.set('set-cookie', sessionCookie(ctx, '', 0));
        return res;
      },
      { page: true, body: t.Optional(t.Object({ [CSRF_FIELD]: t.Optional(t.String()) })) },
    );
}
