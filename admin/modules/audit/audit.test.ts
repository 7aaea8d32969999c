import { afterEach, describe, expect, it } from 'bun:test';
import { ADMIN_PASSWORD, type Harness, harness } from '../../test-support.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

interface Entry {
  at: string;
  actor: string;
  action: string;
  target: string;
  tenantId: string | null;
  details: Record<string, unknown>;
}

describe('audit', () => {
  it('records every state change with who, what and when, and no secret', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    h.clock.advance(1000);
    await h.call('PATCH', `/api/tenants/${acme.id}`, { as: h.admin, body: { description: 'Acme' } });
    const alice = await h.member('alice', [acme.id]);
    await h.call('PATCH', `/api/users/${alice.id}`, { as: h.admin, body: { role: 'admin' } });
    await h.call('PATCH', `/api/users/${alice.id}`, { as: h.admin, body: { role: 'member' } });
    await h.call('PUT', `/api/users/${alice.id}/tenants`, { as: h.admin, body: { tenantIds: [] } });
    const token = await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'ci' } });
    await h.call('DELETE', `/api/tokens/${token.body.id}`, { as: h.admin });
    await h.call('POST', '/api/auth/login', { body: { username: 'alice', password: 'wrong-password' } });
    const second = await h.member('temp');
    await h.request('DELETE', `/api/users/${second.id}`, { as: h.admin });
    const t2 = await h.tenant('gone');
    await h.request('DELETE', `/api/tenants/${t2.id}`, { as: h.admin });
    await h.call('POST', '/api/auth/password', { as: h.admin, body: { currentPassword: ADMIN_PASSWORD, newPassword: 'another-password' } });
    const fresh = await h.login('admin', 'another-password');
    await h.request('POST', '/api/auth/logout', { as: fresh });
    const reader = await h.login('admin', 'another-password');

    const r = await h.call('GET', '/api/audit?limit=1000', { as: reader });
    expect(r.status).toBe(200);
    const entries = r.body as Entry[];
    const actions = new Set(entries.map((e) => e.action));
    for (const action of [
      'user.create',
      'user.update',
      'user.delete',
      'tenant.create',
      'tenant.update',
      'tenant.delete',
      'membership.add',
      'membership.remove',
      'token.create',
      'token.revoke',
      'auth.login',
      'auth.login_failed',
      'auth.logout',
      'auth.password_change',
    ]) {
      expect(actions.has(action), action).toBe(true);
    }
    const tenantCreate = entries.find((e) => e.action === 'tenant.create' && e.target === 'tenant:acme');
    expect(tenantCreate).toMatchObject({ actor: 'user:admin', tenantId: acme.id, at: '2026-01-01T00:00:00.000Z' });
    const failed = entries.find((e) => e.action === 'auth.login_failed');
    expect(failed).toMatchObject({ actor: 'user:alice', target: 'user:alice' });
    const text = JSON.stringify(entries);
    for (const secret of [ADMIN_PASSWORD, 'another-password', 'wrong-password', 'alice-password', token.body.token as string]) {
      expect(text).not.toContain(secret);
    }
    // Newest first.
    const times = entries.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('names the token and its owner when a token acts', async () => {
    h = await harness();
    const token = (await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'deployer' } })).body.token as string;
    await h.call('POST', '/api/tenants', { as: { token }, body: { name: 'acme', prefix: '/acme' } });
    const entries = (await h.call('GET', '/api/audit?action=tenant.create', { as: h.admin })).body as Entry[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: 'token:deployer', details: { user: 'admin' } });
  });

  it("shows a member its tenants' entries and its own, not others'", async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const alice = await h.member('alice', [a.id]);
    await h.call('PATCH', `/api/tenants/${a.id}`, { as: h.admin, body: { description: 'A!' } });
    await h.call('PATCH', `/api/tenants/${b.id}`, { as: h.admin, body: { description: 'B!' } });
    await h.call('POST', '/api/tokens', { as: alice, body: { name: 'mine' } });

    const seen = (await h.call('GET', '/api/audit', { as: alice })).body as Entry[];
    expect(seen.length).toBeGreaterThan(0);
    for (const e of seen) expect(e.tenantId === a.id || e.actor === 'user:alice', JSON.stringify(e)).toBe(true);
    expect(seen.some((e) => e.action === 'tenant.update' && e.tenantId === a.id)).toBe(true);
    expect(seen.some((e) => e.action === 'token.create')).toBe(true);
    expect(seen.some((e) => e.tenantId === b.id)).toBe(false);
    expect(seen.some((e) => e.action === 'auth.login' && e.actor === 'user:admin')).toBe(false);

    const filtered = (await h.call('GET', `/api/audit?tenantId=${a.id}&action=tenant.update`, { as: alice })).body as Entry[];
    expect(filtered).toHaveLength(1);
    expect((await h.call('GET', `/api/audit?tenantId=${b.id}`, { as: alice })).status).toBe(404);
  });

  it('pages with limit and before', async () => {
    h = await harness();
    for (let i = 0; i < 5; i++) {
      h.clock.advance(1000);
      await h.tenant(`t${i}`);
    }
    const first = (await h.call('GET', '/api/audit?action=tenant.create&limit=2', { as: h.admin })).body as Entry[];
    expect(first.map((e) => e.target)).toEqual(['tenant:t4', 'tenant:t3']);
    const next = (await h.call('GET', `/api/audit?action=tenant.create&limit=2&before=${encodeURIComponent(first[1]!.at)}`, { as: h.admin }))
      .body as Entry[];
    expect(next.map((e) => e.target)).toEqual(['tenant:t2', 'tenant:t1']);
  });
});
