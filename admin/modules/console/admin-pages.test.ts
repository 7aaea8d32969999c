import { afterEach, describe, expect, it } from 'bun:test';
import { hashPassword } from '../auth/service.ts';
import { type Caller, type Harness, harness, ORIGIN } from '../../test-support.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const SCRIPT = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const HTMX = { 'hx-request': 'true', 'hx-request-type': 'partial' };

type Fields = Record<string, string | string[]>;

/** Posts a urlencoded form as a browser would: session cookie, `_csrf` field, own Origin. */
function post(path: string, as: Caller, fields: Fields = {}, opts: { csrf?: string | null; origin?: string; htmx?: boolean } = {}): Promise<Response> {
  const params = new URLSearchParams();
  const csrf = opts.csrf === undefined ? as.csrf : opts.csrf;
  if (csrf !== null && csrf !== undefined) params.append('_csrf', csrf);
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', origin: opts.origin ?? ORIGIN, ...(opts.htmx ? HTMX : {}) };
  return h.request('POST', path, { as: { cookie: as.cookie }, body: params.toString(), headers });
}

async function get(path: string, as: Caller, htmx = false): Promise<{ status: number; text: string; res: Response }> {
  const res = await h.request('GET', path, { as: { cookie: as.cookie }, headers: htmx ? HTMX : {} });
  return { status: res.status, text: await res.text(), res };
}

const newCookie = (res: Response): string => (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

describe('console users page', () => {
  it('creates, edits, resets and deletes users when an admin uses the forms', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    const created = await post('/users', h.admin, { username: 'alice', password: 'alice-password', role: 'member', tenantIds: [acme.id] });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/users');
    const alice = (await h.call('GET', '/api/users', { as: h.admin })).body.find((u: { username: string }) => u.username === 'alice');
    expect(alice).toMatchObject({ role: 'member', active: true, tenantIds: [acme.id] });

    const bob = await post('/users', h.admin, { username: 'bob', password: 'bob-password', role: 'member' }, { htmx: true });
    expect(bob.status).toBe(200);
    const fragment = await bob.text();
    expect(fragment).toStartWith('<section id="users-page"');
    expect(fragment).toContain('User &quot;bob&quot; created.');
    const bobId = (await h.call('GET', '/api/users', { as: h.admin })).body.find((u: { username: string }) => u.username === 'bob').id as string;

    // The active checkbox left unchecked is absent from the post: deactivated.
    expect((await post(`/users/${alice.id}`, h.admin, { role: 'admin', tenantIds: [] })).status).toBe(303);
    expect((await h.call('GET', `/api/users/${alice.id}`, { as: h.admin })).body).toMatchObject({ role: 'admin', active: false, tenantIds: [] });

    expect((await post(`/users/${bobId}/password`, h.admin, { password: 'bob-new-password' })).status).toBe(303);
    await h.login('bob', 'bob-new-password');

    expect((await post(`/users/${bobId}/delete`, h.admin)).status).toBe(303);
    expect((await h.call('GET', `/api/users/${bobId}`, { as: h.admin })).status).toBe(404);
    const actions = (await h.call('GET', '/api/audit?actor=user:admin', { as: h.admin })).body.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['user.create', 'membership.add', 'user.update', 'membership.remove', 'user.delete']));
  });

  it('answers 400 with the message at the form and keeps the input but not the password when the username is invalid', async () => {
    h = await harness();
    const res = await post('/users', h.admin, { username: SCRIPT, password: 'secret-password-9', role: 'admin' }, { htmx: true });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('id="user-create-error"');
    expect(text).toContain('username: Expected string to match');
    expect(text).toContain(`value="${ESCAPED}"`);
    expect(text).not.toContain('<script>alert');
    expect(text).not.toContain('secret-password-9');
    expect(text).toMatch(/<option value="admin" selected>/);
    expect(await h.store.users.count()).toBe(1);
  });

  it('answers 409 next to the row when the last active admin would be demoted', async () => {
    h = await harness();
    const me = (await h.call('GET', '/api/auth/me', { as: h.admin })).body.user.id as string;
    const res = await post(`/users/${me}`, h.admin, { role: 'member', active: 'on' }, { htmx: true });
    expect(res.status).toBe(409);
    const text = await res.text();
    expect(text).toContain(`id="user-edit-${me}-error"`);
    expect(text).toContain('last active admin');
  });
});

describe('console tenants page', () => {
  it('answers 400 with the message and keeps the input when the prefix is bad', async () => {
    h = await harness();
    const res = await post('/tenants', h.admin, { name: 'acme', prefix: 'no-slash', description: 'Acme & co' });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toStartWith('<!doctype html>');
    expect(text).toContain('id="tenant-create-error"');
    expect(text).toContain('prefix: Expected string to match');
    expect(text).toContain('value="acme"');
    expect(text).toContain('value="no-slash"');
    expect(text).toContain('value="Acme &amp; co"');
    expect(text).toMatch(/id="tenant-create-prefix"[^>]*aria-invalid="true"/);
    expect((await h.call('GET', '/api/tenants', { as: h.admin })).body).toEqual([]);
  });

  it('creates, edits, manages members of and deletes a tenant when an admin uses the forms', async () => {
    h = await harness();
    const alice = await h.member('alice');
    expect((await post('/tenants', h.admin, { name: 'acme', prefix: '/acme', description: 'first', active: 'on' })).status).toBe(303);
    const acme = (await h.call('GET', '/api/tenants', { as: h.admin })).body[0];
    expect(acme).toMatchObject({ name: 'acme', prefix: '/acme', description: 'first', active: true });

    const edited = await post(`/tenants/${acme.id}`, h.admin, { prefix: '/acme2', description: 'second', active: 'on' }, { htmx: true });
    expect(edited.status).toBe(200);
    expect(await edited.text()).toContain('Tenant &quot;acme&quot; saved.');
    expect((await h.call('GET', `/api/tenants/${acme.id}`, { as: h.admin })).body).toMatchObject({ prefix: '/acme2', description: 'second' });

    expect((await post(`/tenants/${acme.id}/members`, h.admin, { userId: alice.id })).status).toBe(303);
    expect((await h.call('GET', `/api/tenants/${acme.id}/members`, { as: h.admin })).body.map((u: { username: string }) => u.username)).toEqual(['alice']);
    const page = await get('/tenants', h.admin);
    expect(page.text).toContain(`id="tenant-${acme.id}-remove-${alice.id}"`);
    expect((await post(`/tenants/${acme.id}/members/${alice.id}/remove`, h.admin)).status).toBe(303);
    expect((await h.call('GET', `/api/tenants/${acme.id}/members`, { as: h.admin })).body).toEqual([]);

    expect((await post(`/tenants/${acme.id}/delete`, h.admin)).status).toBe(303);
    expect((await h.call('GET', '/api/tenants', { as: h.admin })).body).toEqual([]);
  });
});

describe('console access', () => {
  it('answers 403 HTML when a member opens or posts to the users and tenants pages', async () => {
    h = await harness();
    const alice = await h.member('alice');
    for (const path of ['/users', '/tenants']) {
      const r = await get(path, alice);
      expect(r.status).toBe(403);
      expect(r.res.headers.get('content-type')).toContain('text/html');
      expect(r.text).toContain('admin role required');
    }
    expect((await post('/users', alice, { username: 'mallory', password: 'mallory-pw' })).status).toBe(403);
    expect((await post('/tenants', alice, { name: 'evil', prefix: '/evil' })).status).toBe(403);
    expect(await h.store.users.getByUsername('mallory')).toBeUndefined();
  });

  it('answers 403 when the _csrf field is missing or the Origin is foreign', async () => {
    h = await harness();
    const noCsrf = await post('/tenants', h.admin, { name: 'a', prefix: '/a' }, { csrf: null });
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.text()).toContain('csrf');
    const wrongCsrf = await post('/tokens', h.admin, { name: 'x' }, { csrf: 'not-the-token' });
    expect(wrongCsrf.status).toBe(403);
    const foreign = await post('/tenants', h.admin, { name: 'a', prefix: '/a' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('cross-origin request refused');
    expect((await h.call('GET', '/api/tenants', { as: h.admin })).body).toEqual([]);
    expect((await h.call('GET', '/api/tokens', { as: h.admin })).body).toEqual([]);
  });

  it('redirects to the login page with next when a page is opened without a session', async () => {
    h = await harness();
    for (const path of ['/users', '/tenants', '/tokens', '/audit', '/account']) {
      const res = await h.request('GET', path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    }
  });

  it('answers a fragment only when htmx asks for a partial swap', async () => {
    h = await harness();
    const full = await get('/tokens', h.admin);
    expect(full.text).toStartWith('<!doctype html>');
    expect(full.text).toContain('<section id="tokens-page"');
    expect(full.text).toMatch(/<a href="\/tokens" aria-current="page">/);
    const fragment = await get('/tokens', h.admin, true);
    expect(fragment.text).toStartWith('<section id="tokens-page"');
    expect(fragment.text).not.toContain('<html');
    const historyRestore = await h.request('GET', '/tokens', { as: h.admin, headers: { 'hx-request': 'true', 'hx-request-type': 'full' } });
    expect(await historyRestore.text()).toStartWith('<!doctype html>');
  });
});

describe('console tokens page', () => {
  it('shows a new token once, which then works as a Bearer token until revoked', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    const alice = await h.member('alice', [acme.id]);
    const res = await post('/tokens', alice, { name: 'ci-deploy', expiresAt: '2026-06-01', tenantIds: [acme.id] });
    expect(res.status).toBe(201);
    const text = await res.text();
    const token = /id="new-token"[^>]*value="(mgw_[A-Za-z0-9_-]+)"/.exec(text)?.[1] ?? /value="(mgw_[A-Za-z0-9_-]{43})"/.exec(text)?.[1];
    expect(token).toBeDefined();
    expect(text).toContain('shown this once');
    expect(text).toMatch(/<input id="new-token"[^>]*readonly/);

    const me = await h.call('GET', '/api/auth/me', { as: { token } });
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('alice');
    expect(me.body.tenants.map((x: { name: string }) => x.name)).toEqual(['acme']);

    const again = await get('/tokens', alice);
    expect(again.text).not.toContain(token ?? 'mgw_');
    expect(again.text).toContain('ci-deploy');
    expect(again.text).toContain('2026-06-01 00:00 UTC');

    const id = (await h.call('GET', '/api/tokens', { as: alice })).body[0].id as string;
    const revoked = await post(`/tokens/${id}/revoke`, alice, {}, { htmx: true });
    expect(revoked.status).toBe(200);
    expect(await revoked.text()).toContain('data-status="revoked"');
    expect((await h.call('GET', '/api/auth/me', { as: { token } })).status).toBe(401);
  });

  it('refuses a tenant outside the viewer\'s and a past expiry, at the form', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    const other = await h.tenant('other');
    const alice = await h.member('alice', [acme.id]);
    const page = await get('/tokens', alice);
    expect(page.text).toContain(`<option value="${acme.id}">acme</option>`);
    expect(page.text).not.toContain(other.id);
    const foreign = await post('/tokens', alice, { name: 'x', tenantIds: [other.id] }, { htmx: true });
    expect(foreign.status).toBe(404);
    expect(await foreign.text()).toContain('id="token-create-error"');
    const past = await post('/tokens', alice, { name: 'x', expiresAt: '2025-01-01' }, { htmx: true });
    expect(past.status).toBe(400);
    const text = await past.text();
    expect(text).toContain('expiresAt: must be in the future');
    expect(text).toContain('value="2025-01-01"');
    expect((await h.call('GET', '/api/tokens', { as: alice })).body).toEqual([]);
  });
});

describe('console audit page', () => {
  it("shows a member only their tenants' entries and their own when they open the audit log", async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    const other = await h.tenant('other');
    const alice = await h.member('alice', [acme.id]);
    await h.call('PATCH', `/api/tenants/${acme.id}`, { as: h.admin, body: { description: 'acme-change' } });
    await h.call('PATCH', `/api/tenants/${other.id}`, { as: h.admin, body: { description: 'other-change' } });
    const r = await get('/audit', alice);
    expect(r.status).toBe(200);
    expect(r.text).toContain('tenant:acme');
    expect(r.text).not.toContain('tenant:other');
    expect(r.text).not.toMatch(/audit-actor">user:admin<\/td><td data-testid="audit-action">auth\.login</);
    expect(r.text).toMatch(/audit-actor">user:alice<\/td><td data-testid="audit-action">auth\.login</);
    expect((await get(`/audit?tenant=${other.id}`, alice)).status).toBe(404);
    const admin = await get('/audit', h.admin);
    expect(admin.text).toContain('tenant:other');
  });

  it('filters by action, actor and tenant when the filter form is submitted', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    await h.tenant('other');
    const byAction = await get('/audit?action=tenant.create', h.admin, true);
    expect(byAction.text).toStartWith('<section id="audit-page"');
    expect(byAction.text.match(/data-testid="audit-row"/g)).toHaveLength(2);
    const byTenant = await get(`/audit?tenant=${acme.id}&action=tenant.create&actor=user%3Aadmin`, h.admin);
    expect(byTenant.text.match(/data-testid="audit-row"/g)).toHaveLength(1);
    expect(byTenant.text).toContain(`<option value="${acme.id}" selected>acme</option>`);
    expect(byTenant.text).toContain('{&quot;prefix&quot;:&quot;/acme&quot;,&quot;active&quot;:true}');
  });

  it('pages through every entry once when many share a timestamp', async () => {
    h = await harness();
    const at = h.clock.now();
    for (let i = 0; i < 60; i++) await h.store.audit.append({ at, actor: 'system', action: 'test.bulk', target: `n:${i}`, tenantId: undefined, details: {} });
    const seen: string[] = [];
    let next: string | undefined = '/audit?action=test.bulk&limit=25';
    let pages = 0;
    while (next) {
      const r = await get(next, h.admin);
      expect(r.status).toBe(200);
      for (const m of r.text.matchAll(/data-testid="audit-target">([^<]*)</g)) seen.push(m[1] ?? '');
      next = /id="audit-older"[^>]* href="([^"]+)"|href="([^"]+)" id="audit-older"/.exec(r.text)?.slice(1).find(Boolean)?.replace(/&amp;/g, '&');
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
  });
});

describe('console account page', () => {
  it('re-issues the session cookie and ends the old session when the password is changed', async () => {
    h = await harness();
    const alice = await h.member('alice');
    const mismatch = await post('/account/password', alice, { currentPassword: 'alice-password', newPassword: 'alice-new-pw', confirmPassword: 'other-pw-1' }, { htmx: true });
    expect(mismatch.status).toBe(400);
    const text = await mismatch.text();
    expect(text).toContain('confirmPassword: does not match the new password');
    expect(text).not.toContain('alice-new-pw');
    const wrong = await post('/account/password', alice, { currentPassword: 'nope-nope', newPassword: 'alice-new-pw', confirmPassword: 'alice-new-pw' });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain('current password is wrong');

    const res = await post('/account/password', alice, { currentPassword: 'alice-password', newPassword: 'alice-new-pw', confirmPassword: 'alice-new-pw' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account?changed=1');
    const cookie = newCookie(res);
    expect(cookie).toStartWith('mcpgw_session=');
    expect(cookie).not.toBe(alice.cookie ?? '');
    expect(res.headers.get('set-cookie')).toContain('HttpOnly');

    const old = await h.request('GET', '/account', { as: { cookie: alice.cookie } });
    expect(old.status).toBe(303);
    expect(old.headers.get('location')).toBe('/login?next=%2Faccount');
    const fresh = await get('/account?changed=1', { cookie });
    expect(fresh.status).toBe(200);
    expect(fresh.text).toContain('Password changed.');
    await h.login('alice', 'alice-new-pw');
  });

  it('asks htmx for a full page load when the password is changed through htmx', async () => {
    h = await harness();
    const alice = await h.member('alice');
    const res = await post('/account/password', alice, { currentPassword: 'alice-password', newPassword: 'alice-new-pw', confirmPassword: 'alice-new-pw' }, { htmx: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('hx-redirect')).toBe('/account?changed=1');
    expect(newCookie(res)).toStartWith('mcpgw_session=');
  });
});

describe('console escaping', () => {
  it('renders a script in a username, tenant description or token name escaped on every page', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    await h.call('PATCH', `/api/tenants/${acme.id}`, { as: h.admin, body: { description: SCRIPT } });
    // The API refuses such a username; the store may still hold one (imported, older rules).
    const odd = await h.store.users.create({ username: SCRIPT, passwordHash: await hashPassword('odd-password'), role: 'member' });
    await h.store.memberships.add(odd.id, acme.id);
    const oddCaller = await h.login(SCRIPT, 'odd-password');
    expect((await post('/tokens', oddCaller, { name: SCRIPT })).status).toBe(201);
    await h.store.audit.append({ actor: `user:${SCRIPT}`, action: SCRIPT, target: SCRIPT, tenantId: acme.id, details: { note: SCRIPT } });

    const pages: [string, Caller][] = [
      ['/users', h.admin],
      ['/tenants', h.admin],
      ['/audit', h.admin],
      ['/tokens', oddCaller],
      ['/audit', oddCaller],
      ['/account', oddCaller],
    ];
    for (const [path, as] of pages) {
      const r = await get(path, as);
      expect(r.status).toBe(200);
      expect(r.text).toContain('&lt;script&gt;');
      expect(r.text).not.toContain('<script>alert');
    }
  });
});
