/**
 * Auth routes (`/api/auth`) and the `auth` macro every protected route uses: it resolves the request
 * to a `principal` (session cookie or bearer token, with the CSRF and Origin checks) before the handler.
 */
import { Elysia } from 'elysia';
import type { AdminContext } from '../../context.ts';
import { errorResponses, NoQuery, presentTenant, presentUser } from '../../model.ts';
import { resolveClientIp } from './client-ip.ts';
import { LoginBody, MeView, PasswordBody, SessionView } from './model.ts';
import { authenticate, changePassword, CSRF_HEADER, login, logout, type NewSession, SESSION_COOKIE, whoAmI } from './service.ts';

/**
 * The client address: the peer as Bun sees it, or the forwarding client behind a trusted proxy
 * (`trustedProxies`). In-process requests (`app.handle`) have none.
 */
export function clientIp(ctx: AdminContext, server: { requestIP(req: Request): { address: string } | null } | null, request: Request): string {
  return resolveClientIp(server?.requestIP(request)?.address, request.headers.get('x-forwarded-for'), ctx.trustedProxies);
}

/** Signs in with `credentials` sent in `request`: its client address (throttling) and origin (login CSRF) count. */
export function loginFrom(
  ctx: AdminContext,
  server: Parameters<typeof clientIp>[1],
  request: Request,
  credentials: { username: string; password: string },
): Promise<NewSession> {
  return login(ctx, {
    username: credentials.username,
    password: credentials.password,
    ip: clientIp(ctx, server, request),
    origin: request.headers.get('origin'),
    referer: request.headers.get('referer'),
  });
}

/** Adds the `auth` macro: `{ auth: true }` on a route resolves `principal` or answers 401/403. */
export function authPlugin(ctx: AdminContext) {
  return new Elysia().macro({
    auth: {
      async resolve({ request }) {
        const h = request.headers;
        const principal = await authenticate(ctx, {
          method: request.method,
          cookie: h.get('cookie'),
          authorization: h.get('authorization'),
          csrfToken: h.get(CSRF_HEADER),
          origin: h.get('origin'),
          referer: h.get('referer'),
        });
        return { principal };
      },
    },
  });
}

/** The `Set-Cookie` value of the console session (an empty value with max-age 0 clears it). */
export function sessionCookie(ctx: AdminContext, value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${ctx.secureCookies ? '; Secure' : ''}`;
}

function sessionView(opened: NewSession) {
  return { user: presentUser(opened.user), csrfToken: opened.session.csrfToken, expiresAt: opened.session.expiresAt.toISOString() };
}

const detail = (summary: string, description?: string, open = false) => ({
  tags: ['auth'],
  summary,
  ...(description ? { description } : {}),
  ...(open ? { security: [] } : {}),
});

export function authRoutes(ctx: AdminContext) {
  const maxAge = Math.floor(ctx.sessionTtlMs / 1000);
  return new Elysia({ prefix: '/auth' })
    .use(authPlugin(ctx))
    .post(
      '/login',
      async ({ body, request, server, set }) => {
        const opened = await loginFrom(ctx, server, request, body);
        set.headers['set-cookie'] = sessionCookie(ctx, opened.cookieValue, maxAge);
        return sessionView(opened);
      },
      {
        query: NoQuery,
        body: LoginBody,
        response: { 200: SessionView, ...errorResponses },
        detail: detail(
          'Sign in to the console',
          'Sets the HttpOnly session cookie `mcpgw_session`. Repeated failures lock the account for a growing time (429 with Retry-After).',
          true,
        ),
      },
    )
    .post(
      '/logout',
      async ({ principal, set }) => {
        await logout(ctx, principal);
        set.headers['set-cookie'] = sessionCookie(ctx, '', 0);
        set.status = 204;
        return undefined;
      },
      { auth: true, query: NoQuery, detail: detail('Sign out (console session)') },
    )
    .get(
      '/me',
      async ({ principal }) => {
        const me = await whoAmI(ctx, principal);
        return { ...me, user: presentUser(me.user), tenants: me.tenants.map(presentTenant) };
      },
      { auth: true, query: NoQuery, response: { 200: MeView, ...errorResponses }, detail: detail('The caller, its tenants and (for sessions) the CSRF token') },
    )
    .post(
      '/password',
      async ({ body, principal, set }) => {
        const opened = await changePassword(ctx, principal, body.currentPassword, body.newPassword);
        set.headers['set-cookie'] = sessionCookie(ctx, opened.cookieValue, maxAge);
        return sessionView(opened);
      },
      {
        auth: true,
        query: NoQuery,
        body: PasswordBody,
        response: { 200: SessionView, ...errorResponses },
        detail: detail('Change the own password', 'Ends every session of the user and opens a new one for the caller.'),
      },
    );
}
