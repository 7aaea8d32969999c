import { afterEach, describe, expect, it } from 'bun:test';
import { type Harness, harness } from '../../test-support.ts';
import { prefixesOverlap } from './service.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('tenants', () => {
  it('lets an admin create, read, change and delete a tenant', async () => {
    h = await harness();
    const created = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'acme', prefix: '/acme/', description: 'Acme Corp' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'acme', prefix: '/acme', description: 'Acme Corp', active: true });
    const id = created.body.id as string;
    expect((await h.call('GET', `/api/tenants/${id}`, { as: h.admin })).body.name).toBe('acme');
    const changed = await h.call('PATCH', `/api/tenants/${id}`, { as: h.admin, body: { active: false, prefix: '/acme-corp' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ active: false, prefix: '/acme-corp' });
    expect((await h.call('GET', '/api/tenants', { as: h.admin })).body).toHaveLength(1);
    expect((await h.request('DELETE', `/api/tenants/${id}`, { as: h.admin })).status).toBe(204);
    expect((await h.call('GET', `/api/tenants/${id}`, { as: h.admin })).status).toBe(404);
  });

  it('refuses a duplicate name with 409', async () => {
    h = await harness();
    await h.tenant('acme');
    const r = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'acme', prefix: '/other' } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('conflict');
  });

  it('refuses a prefix equal to, inside or around another tenant\'s', async () => {
    h = await harness();
    await h.tenant('acme', '/acme');
    for (const prefix of ['/acme', '/acme/sub', '/']) {
      const r = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'other', prefix } });
      expect([400, 409], prefix).toContain(r.status);
    }
    const around = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'b', prefix: '/b/x' } });
    expect(around.status).toBe(201);
    const parent = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'bb', prefix: '/b' } });
    expect(parent.status).toBe(409);
    expect(parent.body.error.message).toContain('overlaps tenant "b"');
    // A shared string prefix is not nesting.
    expect((await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'acme2', prefix: '/acme2' } })).status).toBe(201);
  });

  it('refuses malformed prefixes', async () => {
    h = await harness();
    for (const prefix of ['acme', '/a//b', '/a/../b', '/a b', '/acme/mcp', '/']) {
      const r = await h.call('POST', '/api/tenants', { as: h.admin, body: { name: 'x', prefix } });
      expect(r.status, prefix).toBe(400);
      expect(r.body.error.code).toBe('validation');
    }
  });

  it('knows when prefixes nest', () => {
    expect(prefixesOverlap('/a', '/a')).toBe(true);
    expect(prefixesOverlap('/a', '/a/b')).toBe(true);
    expect(prefixesOverlap('/a/b', '/a')).toBe(true);
    expect(prefixesOverlap('/a', '/ab')).toBe(false);
    expect(prefixesOverlap('/a/b', '/a/c')).toBe(false);
  });

  it('refuses tenant administration to members with 403', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    const alice = await h.member('alice', [acme.id]);
    expect((await h.call('POST', '/api/tenants', { as: alice, body: { name: 'mine', prefix: '/mine' } })).status).toBe(403);
    expect((await h.call('PATCH', `/api/tenants/${acme.id}`, { as: alice, body: { description: 'x' } })).status).toBe(403);
    expect((await h.request('DELETE', `/api/tenants/${acme.id}`, { as: alice })).status).toBe(403);
    expect((await h.request('PUT', `/api/tenants/${acme.id}/members/${alice.id}`, { as: alice })).status).toBe(403);
  });

  it('lists to a member only the active tenants it belongs to', async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const c = await h.tenant('c');
    const alice = await h.member('alice', [a.id, c.id]);
    await h.call('PATCH', `/api/tenants/${c.id}`, { as: h.admin, body: { active: false } });
    const list = await h.call('GET', '/api/tenants', { as: alice });
    expect(list.body.map((x: { name: string }) => x.name)).toEqual(['a']);
    expect((await h.call('GET', `/api/tenants/${b.id}`, { as: alice })).status).toBe(404);
    expect((await h.call('GET', `/api/tenants/${c.id}`, { as: alice })).status).toBe(404);
    // Admins still see the inactive tenant.
    expect((await h.call('GET', `/api/tenants/${c.id}`, { as: h.admin })).status).toBe(200);
  });

  it('manages members and shows them to fellow members', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    const alice = await h.member('alice', [acme.id]);
    const bob = await h.member('bob');
    expect((await h.request('PUT', `/api/tenants/${acme.id}/members/${bob.id}`, { as: h.admin })).status).toBe(204);
    const members = await h.call('GET', `/api/tenants/${acme.id}/members`, { as: alice });
    expect(members.status).toBe(200);
    expect(members.body.map((u: { username: string }) => u.username).sort()).toEqual(['alice', 'bob']);
    expect((await h.request('DELETE', `/api/tenants/${acme.id}/members/${bob.id}`, { as: h.admin })).status).toBe(204);
    expect((await h.call('GET', `/api/tenants/${acme.id}`, { as: bob })).status).toBe(404);
    expect((await h.request('DELETE', `/api/tenants/${acme.id}/members/${bob.id}`, { as: h.admin })).status).toBe(404);
  });
});

describe('tenant isolation', () => {
  /**
   * A member of tenant A, against every route that takes an id: B's objects (tenant, user, token,
   * membership) must answer exactly as objects that do not exist, and reads must answer 404.
   */
  it('answers a member for hidden objects exactly as for missing ones, on every route', async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const alice = await h.member('alice', [a.id]);
    const bob = await h.member('bob', [b.id]);
    const bobToken = await h.call('POST', '/api/tokens', { as: bob, body: { name: 'bob-ci', tenantIds: [b.id] } });
    expect(bobToken.status).toBe(201);

    const hidden = { id: '', userId: bob.id };
    const missing = { id: '', userId: '0000000000000000missing' };
    const idFor = (path: string, which: 'hidden' | 'missing'): string => {
      if (which === 'missing') return '0000000000000000missing';
      if (path.startsWith('/api/tenants')) return b.id;
      if (path.startsWith('/api/users')) return bob.id;
      if (path.startsWith('/api/tokens')) return bobToken.body.id as string;
      throw new Error(`no hidden object for ${path}`);
    };
    const bodies: Record<string, unknown> = {
      'PATCH /api/users/:id': { active: false },
      'PUT /api/users/:id/tenants': { tenantIds: [a.id] },
      'PATCH /api/tenants/:id': { description: 'pwned' },
    };
    const routes = h.app.routes.filter((r) => r.path.includes(':id'));
    expect(routes.length).toBeGreaterThanOrEqual(12);
    for (const route of routes) {
      const answers: { status: number; code: string }[] = [];
      for (const which of ['hidden', 'missing'] as const) {
        const ids = which === 'hidden' ? { ...hidden, id: idFor(route.path, which) } : { ...missing, id: idFor(route.path, which) };
        const path = route.path.replace(':id', ids.id).replace(':userId', ids.userId);
        const key = `${route.method} ${route.path}`;
        const r = await h.call(route.method, path, { as: alice, ...(bodies[key] !== undefined ? { body: bodies[key] } : {}) });
        answers.push({ status: r.status, code: r.body?.error?.code });
      }
      const [seen, absent] = answers;
      expect(seen, `${route.method} ${route.path}`).toEqual(absent!);
      expect([403, 404], `${route.method} ${route.path}`).toContain(seen!.status);
      if (route.method === 'GET') expect(seen!.status, `${route.method} ${route.path}`).toBe(404);
    }
    // Nothing of B changed.
    expect((await h.store.tenants.get(b.id))?.description).toBe('');
    expect((await h.store.tokens.get(bobToken.body.id))?.revokedAt).toBeUndefined();
    expect((await h.store.users.get(bob.id))?.active).toBe(true);
  });

  it('keeps B out of every list a member of A reads', async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const alice = await h.member('alice', [a.id]);
    const bob = await h.member('bob', [b.id]);
    await h.call('POST', '/api/tokens', { as: bob, body: { name: 'bob-ci', tenantIds: [b.id] } });
    await h.call('PATCH', `/api/tenants/${b.id}`, { as: h.admin, body: { description: 'secret plans' } });

    const text = JSON.stringify([
      (await h.call('GET', '/api/tenants', { as: alice })).body,
      (await h.call('GET', '/api/users', { as: alice })).body,
      (await h.call('GET', '/api/tokens', { as: alice })).body,
      (await h.call('GET', '/api/audit', { as: alice })).body,
      (await h.call('GET', '/api/auth/me', { as: alice })).body,
      (await h.call('GET', `/api/tenants/${a.id}/members`, { as: alice })).body,
    ]);
    expect(text).not.toContain(b.id);
    expect(text).not.toContain(bob.id);
    expect(text).not.toContain('bob');
    expect((await h.call('GET', `/api/audit?tenantId=${b.id}`, { as: alice })).status).toBe(404);
    expect((await h.call('GET', `/api/tokens?userId=${bob.id}`, { as: alice })).status).toBe(404);
  });

  it('answers 404 for a tenant a member was removed from', async () => {
    h = await harness();
    const a = await h.tenant('a');
    const alice = await h.member('alice', [a.id]);
    expect((await h.call('GET', `/api/tenants/${a.id}`, { as: alice })).status).toBe(200);
    await h.call('PUT', `/api/users/${alice.id}/tenants`, { as: h.admin, body: { tenantIds: [] } });
    expect((await h.call('GET', `/api/tenants/${a.id}`, { as: alice })).status).toBe(404);
  });
});
