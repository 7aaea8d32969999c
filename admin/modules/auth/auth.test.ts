import { afterEach, describe, expect, it } from 'bun:test';
import { ADMIN_PASSWORD, type Harness, harness, ORIGIN } from '../../test-support.ts';
import { IP_LIMIT, IP_WINDOW_MS, LOCK_AFTER, LoginThrottle, lockUntil, MAX_LOCK_MS } from './throttle.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const cookieOf = (res: Response): string => res.headers.get('set-cookie') ?? '';

describe('auth', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie on login and answers the CSRF token', async () => {
    h = await harness();
    const res = await h.request('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(res.status).toBe(200);
    const cookie = cookieOf(res);
    expect(cookie).toMatch(/^mcpgw_session=[A-Za-z0-9_-]{43}; /);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain(`Max-Age=${12 * 3600}`);
    expect(cookie).not.toContain('Secure');
    const body = (await res.json()) as { user: Record<string, unknown>; csrfToken: string };
    expect(body.user).toMatchObject({ username: 'admin', role: 'admin', active: true });
    expect(body.user.passwordHash).toBeUndefined();
    expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('stores only the sha256 of the session cookie', async () => {
    h = await harness();
    const value = (h.admin.cookie ?? '').split('=')[1] ?? '';
    expect(await h.store.sessions.get(value)).toBeUndefined();
    const hash = new Bun.CryptoHasher('sha256').update(value).digest('hex');
    expect(await h.store.sessions.get(hash)).toBeDefined();
  });

  it('marks the cookie Secure when the public origin is https', async () => {
    h = await harness({ settings: { publicOrigin: 'https://admin.example.com' } });
    const res = await h.request('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(cookieOf(res)).toContain('; Secure');
  });

  it('answers /me with the user, tenants and CSRF token of the session', async () => {
    h = await harness();
    const me = await h.call('GET', '/api/auth/me', { as: h.admin });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { username: 'admin' }, via: 'session', csrfToken: h.admin.csrf, tenants: [] });
  });

  it('refuses a wrong password and an unknown user alike', async () => {
    h = await harness();
    const wrong = await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: 'nope-nope' } });
    const unknown = await h.call('POST', '/api/auth/login', { body: { username: 'ghost', password: 'nope-nope' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error).toEqual({ code: 'unauthorized', message: 'invalid username or password' });
    expect(wrong.res.headers.get('set-cookie')).toBeNull();
  });

  it('refuses an inactive account with the same answer as a wrong password', async () => {
    h = await harness();
    const bob = await h.member('bob');
    await h.call('PATCH', `/api/users/${bob.id}`, { as: h.admin, body: { active: false } });
    const r = await h.call('POST', '/api/auth/login', { body: { username: 'bob', password: 'bob-password' } });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toBe('invalid username or password');
    // Deactivation also ended the session it had.
    expect((await h.call('GET', '/api/auth/me', { as: bob })).status).toBe(401);
  });

  it('logs out: the session ends and the cookie is cleared', async () => {
    h = await harness();
    const res = await h.request('POST', '/api/auth/logout', { as: h.admin });
    expect(res.status).toBe(204);
    expect(cookieOf(res)).toMatch(/^mcpgw_session=; .*Max-Age=0/);
    expect((await h.call('GET', '/api/auth/me', { as: h.admin })).status).toBe(401);
  });

  it('answers 401 without a session', async () => {
    h = await harness();
    const r = await h.call('GET', '/api/auth/me');
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    expect((await h.call('GET', '/api/auth/me', { as: { cookie: 'mcpgw_session=forged' } })).status).toBe(401);
  });

  it('expires an idle session and, however busy, a session past its absolute lifetime', async () => {
    h = await harness({ settings: { sessionIdle: '30m', sessionTtl: '2h' } });
    h.clock.advance(29 * 60_000);
    expect((await h.call('GET', '/api/auth/me', { as: h.admin })).status).toBe(200);
    h.clock.advance(29 * 60_000);
    expect((await h.call('GET', '/api/auth/me', { as: h.admin })).status).toBe(200);
    h.clock.advance(31 * 60_000);
    expect((await h.call('GET', '/api/auth/me', { as: h.admin })).status).toBe(401);

    const again = await h.login('admin', ADMIN_PASSWORD);
    // Used every 25 minutes: never idle, but 4 × 25 min + 25 min passes the 2 h lifetime.
    for (let i = 0; i < 4; i++) {
      h.clock.advance(25 * 60_000);
      expect((await h.call('GET', '/api/auth/me', { as: again })).status).toBe(200);
    }
    h.clock.advance(25 * 60_000);
    expect((await h.call('GET', '/api/auth/me', { as: again })).status).toBe(401);
  });

  it('locks an account after repeated failures, for a growing time, and unlocks it after', async () => {
    h = await harness();
    for (let i = 1; i < LOCK_AFTER; i++) {
      expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: 'wrong-pass' } })).status).toBe(401);
    }
    // The fifth failure locks for 2^5 s.
    expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: 'wrong-pass' } })).status).toBe(401);
    const locked = await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(locked.res.headers.get('retry-after')).toBe('32');

    h.clock.advance(33_000);
    expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: 'wrong-pass' } })).status).toBe(401);
    const longer = await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(longer.status).toBe(429);
    expect(longer.res.headers.get('retry-after')).toBe('64');

    h.clock.advance(65_000);
    expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status).toBe(200);
    // Success resets the counter.
    expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: 'wrong-pass' } })).status).toBe(401);
    expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status).toBe(200);
  });

  it('locks unknown usernames exactly like known ones', async () => {
    h = await harness();
    for (let i = 0; i < LOCK_AFTER; i++) await h.call('POST', '/api/auth/login', { body: { username: 'ghost', password: 'wrong-pass' } });
    const r = await h.call('POST', '/api/auth/login', { body: { username: 'ghost', password: 'wrong-pass' } });
    expect(r.status).toBe(429);
    expect(r.res.headers.get('retry-after')).toBe('32');
  });

  it('limits failed logins per client address', async () => {
    h = await harness();
    // In-process requests share one address ("unknown"); spread the failures over many usernames.
    for (let i = 0; i < IP_LIMIT; i++) {
      expect((await h.call('POST', '/api/auth/login', { body: { username: `user${i}`, password: 'wrong-pass' } })).status).toBe(401);
    }
    const r = await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(r.status).toBe(429);
    h.clock.advance(IP_WINDOW_MS);
    expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status).toBe(200);
  });

  it('refuses a login posted from a foreign origin (login CSRF)', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/auth/login', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
      headers: { origin: 'https://evil.example' },
    });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('csrf');
    const ok = await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD }, headers: { origin: ORIGIN } });
    expect(ok.status).toBe(200);
  });

  it('changes the password: the old one stops working and other sessions end', async () => {
    h = await harness();
    const other = await h.login('admin', ADMIN_PASSWORD);
    const r = await h.call('POST', '/api/auth/password', {
      as: h.admin,
      body: { currentPassword: ADMIN_PASSWORD, newPassword: 'a-new-password' },
    });
    expect(r.status).toBe(200);
    expect(r.res.headers.get('set-cookie')).toContain('mcpgw_session=');
    expect((await h.call('GET', '/api/auth/me', { as: other })).status).toBe(401);
    expect((await h.call('GET', '/api/auth/me', { as: h.admin })).status).toBe(401);
    const fresh = { cookie: (r.res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: r.body.csrfToken as string };
    expect((await h.call('GET', '/api/auth/me', { as: fresh })).status).toBe(200);
    expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } })).status).toBe(401);
    expect((await h.call('POST', '/api/auth/login', { body: { username: 'admin', password: 'a-new-password' } })).status).toBe(200);
  });

  it('refuses a password change with a wrong current password or a short new one', async () => {
    h = await harness();
    const wrong = await h.call('POST', '/api/auth/password', { as: h.admin, body: { currentPassword: 'not-it-at-all', newPassword: 'a-new-password' } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('forbidden');
    const short = await h.call('POST', '/api/auth/password', { as: h.admin, body: { currentPassword: ADMIN_PASSWORD, newPassword: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('validation');
    expect(short.body.error.message).toStartWith('body.newPassword: ');
  });
});

describe('csrf', () => {
  it('refuses a cookie-authenticated state change without the CSRF header', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/tenants', { as: { cookie: h.admin.cookie }, body: { name: 'acme', prefix: '/acme' } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('csrf');
    expect(await h.store.tenants.getByName('acme')).toBeUndefined();
  });

  it('refuses a wrong CSRF token', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/tenants', { as: { cookie: h.admin.cookie, csrf: 'x'.repeat(43) }, body: { name: 'acme', prefix: '/acme' } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('csrf');
  });

  it("refuses another session's CSRF token", async () => {
    h = await harness();
    const other = await h.login('admin', ADMIN_PASSWORD);
    const r = await h.call('DELETE', '/api/tenants/x', { as: { cookie: h.admin.cookie, csrf: other.csrf } });
    expect(r.status).toBe(403);
  });

  it('refuses a foreign Origin even with the right token', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'acme', prefix: '/acme' }, headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('csrf');
    const referer = await h.call('POST', '/api/tenants', {
      as: h.admin,
      body: { name: 'acme', prefix: '/acme' },
      headers: { referer: 'https://evil.example/page' },
    });
    expect(referer.status).toBe(403);
  });

  it('accepts the own Origin with the right token, and reads without a token', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'acme', prefix: '/acme' }, headers: { origin: ORIGIN } });
    expect(r.status).toBe(201);
    expect((await h.call('GET', '/api/tenants', { as: { cookie: h.admin.cookie } })).status).toBe(200);
  });

  it('exempts bearer-token requests (no ambient credential)', async () => {
    h = await harness();
    const created = await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'ci' } });
    expect(created.status).toBe(201);
    const r = await h.call('POST', '/api/tenants', { as: { token: created.body.token }, body: { name: 'acme', prefix: '/acme' } });
    expect(r.status).toBe(201);
  });
});

describe('login throttle', () => {
  it('locks 2^n seconds from the fifth failure, capped at 15 minutes', () => {
    const now = new Date(0);
    expect(lockUntil(LOCK_AFTER - 1, now)).toBeUndefined();
    expect(lockUntil(5, now)?.getTime()).toBe(32_000);
    expect(lockUntil(6, now)?.getTime()).toBe(64_000);
    expect(lockUntil(40, now)?.getTime()).toBe(MAX_LOCK_MS);
  });

  it('forgets an address once its failures leave the window', () => {
    const t = new LoginThrottle();
    const now = new Date(1_000_000);
    for (let i = 0; i < IP_LIMIT; i++) t.recordIpFailure('10.0.0.1', now);
    expect(t.ipRetryAfter('10.0.0.1', now)).toBe(IP_WINDOW_MS);
    expect(t.ipRetryAfter('10.0.0.2', now)).toBe(0);
    expect(t.ipRetryAfter('10.0.0.1', new Date(now.getTime() + IP_WINDOW_MS))).toBe(0);
  });
});
