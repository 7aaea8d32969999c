import { afterEach, describe, expect, it } from 'bun:test';
import { type Harness, harness } from '../../test-support.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const sha256 = (s: string): string => new Bun.CryptoHasher('sha256').update(s).digest('hex');

describe('tokens', () => {
  it('shows a new token once and stores only its hash', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'ci-deploy' } });
    expect(r.status).toBe(201);
    const token = r.body.token as string;
    expect(token).toMatch(/^mgw_[A-Za-z0-9_-]{43}$/);
    expect(r.body).toMatchObject({ name: 'ci-deploy', displayPrefix: token.slice(0, 10), tenantIds: [], revokedAt: null, lastUsedAt: null });
    expect((await h.store.tokens.getByHash(sha256(token)))?.id).toBe(r.body.id);
    const again = await h.call('GET', `/api/tokens/${r.body.id}`, { as: h.admin });
    expect(again.body.token).toBeUndefined();
    const list = await h.call('GET', '/api/tokens', { as: h.admin });
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(list.body).toHaveLength(1);
  });

  it('authenticates as Bearer and records the last use', async () => {
    h = await harness();
    const created = await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'ci' } });
    const me = await h.call('GET', '/api/auth/me', { as: { token: created.body.token } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ via: 'token', tokenId: created.body.id, user: { username: 'admin' } });
    expect(me.body.csrfToken).toBeUndefined();
    expect((await h.store.tokens.get(created.body.id))?.lastUsedAt?.toISOString()).toBe(h.clock.now().toISOString());
  });

  it('revokes a token: it answers 401 from then on', async () => {
    h = await harness();
    const created = await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'ci' } });
    const as = { token: created.body.token as string };
    expect((await h.call('GET', '/api/tenants', { as })).status).toBe(200);
    const revoked = await h.call('DELETE', `/api/tokens/${created.body.id}`, { as: h.admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBe(h.clock.now().toISOString());
    const r = await h.call('GET', '/api/tenants', { as });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
  });

  it('refuses an expired token, a malformed one and an unknown one alike', async () => {
    h = await harness();
    const expiresAt = new Date(h.clock.now().getTime() + 3_600_000).toISOString();
    const created = await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'short', expiresAt } });
    expect(created.body.expiresAt).toBe(expiresAt);
    expect((await h.call('GET', '/api/auth/me', { as: { token: created.body.token } })).status).toBe(200);
    h.clock.advance(3_600_000);
    const expired = await h.call('GET', '/api/auth/me', { as: { token: created.body.token } });
    const unknown = await h.call('GET', '/api/auth/me', { as: { token: `mgw_${'A'.repeat(43)}` } });
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(unknown.body);
    const malformed = await h.call('GET', '/api/auth/me', { headers: { authorization: 'Basic YWRtaW46eA==' } });
    expect(malformed.status).toBe(401);
  });

  it('refuses an expiry in the past', async () => {
    h = await harness();
    const r = await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'x', expiresAt: '2000-01-01T00:00:00Z' } });
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({ code: 'validation', message: 'body.expiresAt: must be in the future', path: 'body.expiresAt' });
  });

  it('limits a member to tokens scoped to its own tenants', async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const alice = await h.member('alice', [a.id]);
    const foreign = await h.call('POST', '/api/tokens', { as: alice, body: { name: 'x', tenantIds: [b.id] } });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('not_found');
    const own = await h.call('POST', '/api/tokens', { as: alice, body: { name: 'x', tenantIds: [a.id] } });
    expect(own.status).toBe(201);
  });

  it("limits a token to its scope ∩ the owner's current memberships", async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const alice = await h.member('alice', [a.id, b.id]);
    const created = await h.call('POST', '/api/tokens', { as: alice, body: { name: 'only-a', tenantIds: [a.id] } });
    const as = { token: created.body.token as string };
    expect((await h.call('GET', '/api/tenants', { as })).body.map((x: { name: string }) => x.name)).toEqual(['a']);
    expect((await h.call('GET', `/api/tenants/${b.id}`, { as })).status).toBe(404);
    expect((await h.call('GET', `/api/tenants/${a.id}`, { as })).status).toBe(200);
    // Membership removed: the token loses the tenant too.
    await h.call('PUT', `/api/users/${alice.id}/tenants`, { as: h.admin, body: { tenantIds: [b.id] } });
    expect((await h.call('GET', `/api/tenants/${a.id}`, { as })).status).toBe(404);
    expect((await h.call('GET', '/api/tenants', { as })).body).toEqual([]);
  });

  it("lets an unscoped token follow the owner's memberships", async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const alice = await h.member('alice', [a.id]);
    const as = { token: (await h.call('POST', '/api/tokens', { as: alice, body: { name: 'all-mine' } })).body.token as string };
    expect((await h.call('GET', '/api/tenants', { as })).body.map((x: { name: string }) => x.name)).toEqual(['a']);
    await h.request('PUT', `/api/tenants/${b.id}/members/${alice.id}`, { as: h.admin });
    expect((await h.call('GET', '/api/tenants', { as })).body.map((x: { name: string }) => x.name).sort()).toEqual(['a', 'b']);
  });

  it('keeps an admin token scoped to tenants away from global admin work', async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const as = { token: (await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'a-only', tenantIds: [a.id] } })).body.token as string };
    expect((await h.call('GET', `/api/tenants/${b.id}`, { as })).status).toBe(404);
    expect((await h.call('GET', `/api/tenants/${a.id}`, { as })).status).toBe(200);
    expect((await h.call('POST', '/api/users', { as, body: { username: 'x', password: 'xxxxxxxx' } })).status).toBe(403);
    expect((await h.call('GET', `/api/audit?tenantId=${b.id}`, { as })).status).toBe(404);
  });

  it('does not mint tokens or change passwords from a token', async () => {
    h = await harness();
    const as = { token: (await h.call('POST', '/api/tokens', { as: h.admin, body: { name: 'ci' } })).body.token as string };
    expect((await h.call('POST', '/api/tokens', { as, body: { name: 'more' } })).status).toBe(403);
    expect((await h.call('POST', '/api/auth/password', { as, body: { currentPassword: 'x', newPassword: 'yyyyyyyy' } })).status).toBe(403);
  });

  it('lets owners revoke their own tokens and admins anyone\'s, but not members others\'', async () => {
    h = await harness();
    const alice = await h.member('alice');
    const bob = await h.member('bob');
    const aliceToken = (await h.call('POST', '/api/tokens', { as: alice, body: { name: 'a' } })).body;
    const bobToken = (await h.call('POST', '/api/tokens', { as: bob, body: { name: 'b' } })).body;
    expect((await h.call('DELETE', `/api/tokens/${bobToken.id}`, { as: alice })).status).toBe(404);
    expect((await h.call('DELETE', `/api/tokens/${aliceToken.id}`, { as: alice })).status).toBe(200);
    expect((await h.call('DELETE', `/api/tokens/${bobToken.id}`, { as: h.admin })).status).toBe(200);
    expect((await h.call('GET', `/api/tokens?userId=${bob.id}`, { as: h.admin })).body).toHaveLength(1);
    // A token can revoke itself.
    const self = (await h.call('POST', '/api/tokens', { as: alice, body: { name: 'self' } })).body;
    expect((await h.call('DELETE', `/api/tokens/${self.id}`, { as: { token: self.token } })).status).toBe(200);
    expect((await h.call('GET', '/api/auth/me', { as: { token: self.token } })).status).toBe(401);
  });
});
