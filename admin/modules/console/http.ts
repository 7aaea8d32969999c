/**
 * The console's HTTP plumbing, shared by every page module: the `page` macro that resolves the signed-in
 * viewer (session cookie only; API tokens do not drive the console), full page vs htmx fragment
 * answers, and the one place where errors become HTML with their status.
 *
 * Pages answer a full document unless htmx asked for a fragment (`HX-Request: true` with
 * `HX-Request-Type: partial`; htmx 4 sends `full` for body swaps and history restores, which need the
 * whole page). htmx 4 swaps 4xx/5xx answers too, so an error fragment lands where the result would have.
 */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { describeError } from '../../error-map.ts';
import { AdminError, ERROR_STATUS } from '../../errors.ts';
import { ErrorBox } from '../../../views/components.tsx';
import { Layout, type NavKey, type Viewer } from '../../../views/layout.tsx';
import type { Principal } from '../auth/authorize.ts';
import { authenticate, CSRF_HEADER } from '../auth/service.ts';

/** The form field that carries the CSRF token on plain form posts. */
export const CSRF_FIELD = '_csrf';

/** Thrown when a console page is asked for without a valid session. */
export class LoginRequired extends Error {
  override readonly name = 'LoginRequired';
}

/** Whether htmx asked for a fragment rather than a page. */
export function wantsFragment(request: Request): boolean {
  const h = request.headers;
  return h.get('hx-request') === 'true' && h.get('hx-request-type') !== 'full';
}

const HTML = 'text/html; charset=utf-8';

/** An HTML answer; console pages are per user and never cached. */
export async function html(body: JSX.Element, status = 200, headers: Record<string, string> = {}): Promise<Response> {
  return new Response(await body, { status, headers: { 'content-type': HTML, 'cache-control': 'no-store', ...headers } });
}

export interface PageOptions {
  title: string;
  active?: NavKey;
  status?: number;
  headers?: Record<string, string>;
}

/** `content` inside the layout, or alone when htmx asked for a fragment. */
export function page(request: Request, viewer: Viewer | undefined, content: JSX.Element, opts: PageOptions): Promise<Response> {
  const body = wantsFragment(request) ? content : Layout({ title: opts.title, viewer, active: opts.active, children: content });
  return html(body, opts.status ?? 200, opts.headers ?? {});
}

/** A redirect that works for plain navigation (303) and for htmx (which follows `HX-Location`). */
export function redirect(request: Request, location: string): Response {
  if (request.headers.get('hx-request') === 'true') {
    return new Response(null, { status: 204, headers: { 'hx-location': location, 'cache-control': 'no-store' } });
  }
  return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
}

/** Accepts only a local path (`/configs/…`), never `//host` or a scheme: no open redirect after login. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
}

export function viewerOf(p: Principal): Viewer {
  return { username: p.user.username, role: p.user.role, csrf: p.csrfToken ?? '' };
}

function csrfFrom(request: Request, body: unknown): string | null {
  const header = request.headers.get(CSRF_HEADER);
  if (header !== null) return header;
  if (body !== null && typeof body === 'object' && CSRF_FIELD in body) {
    const v = (body as Record<string, unknown>)[CSRF_FIELD];
    return typeof v === 'string' ? v : null;
  }
  return null;
}


/** Maps anything a console route throws to an HTML answer; the console's only status mapping. */
export async function consoleError(error: unknown, code: string | number, request: Request, viewer: Viewer | undefined): Promise<Response> {
  if (error instanceof LoginRequired) {
    const path = new URL(request.url).pathname;
    const login = `/login${path === '/' ? '' : `?next=${encodeURIComponent(path)}`}`;
    if (request.headers.get('hx-request') === 'true') return new Response(null, { status: 401, headers: { 'hx-redirect': login } });
    return new Response(null, { status: 303, headers: { location: login, 'cache-control': 'no-store' } });
  }
  const e = describeError(code, error, request);
  const status = ERROR_STATUS[e.code];
  const headers: Record<string, string> = e.retryAfter !== undefined ? { 'retry-after': String(e.retryAfter) } : {};
  return page(request, viewer, ErrorBox({ status, message: e.message }), { title: 'Error', status, headers });
}

/**
 * The console's base plugin: `{ page: true }` on a route resolves `principal` and `viewer` from the
 * session cookie (CSRF token from the header htmx sends or the `_csrf` form field, plus the Origin
 * check, on every state change) or sends the browser to the login page.
 */
export function consoleBase(ctx: AdminContext) {
  return new Elysia()
    .macro({
      page: {
        async resolve({ request, body }) {
          const h = request.headers;
          let principal: Principal;
          try {
            principal = await authenticate(ctx, {
              method: request.method,
              cookie: h.get('cookie'),
              authorization: null,
              csrfToken: csrfFrom(request, body),
              origin: h.get('origin'),
              referer: h.get('referer'),
            });
          } catch (e) {
            if (e instanceof AdminError && e.code === 'unauthorized') throw new LoginRequired('sign in required');
            throw e;
          }
          return { principal, viewer: viewerOf(principal) };
        },
      },
    })
    .as('global');
}
