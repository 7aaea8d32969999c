import { afterEach, describe, expect, it } from 'bun:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSettings } from '../../settings.ts';
import { openStore } from '../../store/open.ts';
import { type Harness, harness } from '../../test-support.ts';
import { bootstrapAdmin } from './service.ts';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('users', () => {
  it('lets an admin create a member with memberships, who can then sign in', async () => {
    h = await harness();
    const acme = await h.tenant('acme');
    const r = await h.call('POST', '/api/users', { as: h.admin, body: { username: 'alice', password: 'alice-password', tenantIds: [acme.id] } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ username: 'alice', role: 'member', active: true, tenantIds: [acme.id] });
    expect(JSON.stringify(r.body)).not.toContain('alice-password');
    expect((await h.store.users.getSecret('alice'))?.passwordHash).toStartWith('$argon2id$');
    const alice = await h.login('alice', 'alice-password');
    expect((await h.call('GET', '/api/auth/me', { as: alice })).body.tenants.map((x: { name: string }) => x.name)).toEqual(['acme']);
  });

  it('refuses a duplicate username with 409 and an unknown tenant with 404', async () => {
    h = await harness();
    expect((await h.call('POST', '/api/users', { as: h.admin, body: { username: 'admin', password: 'whatever-1' } })).status).toBe(409);
    const r = await h.call('POST', '/api/users', { as: h.admin, body: { username: 'x', password: 'whatever-1', tenantIds: ['nope'] } });
    expect(r.status).toBe(404);
    expect(await h.store.users.getByUsername('x')).toBeUndefined();
  });

  it('refuses user administration to members with 403', async () => {
    h = await harness();
    const alice = await h.member('alice');
    const r = await h.call('POST', '/api/users', { as: alice, body: { username: 'mallory', password: 'mallory-pw' } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('forbidden');
    expect((await h.call('PATCH', `/api/users/${alice.id}`, { as: alice, body: { role: 'admin' } })).status).toBe(403);
    expect((await h.call('PUT', `/api/users/${alice.id}/tenants`, { as: alice, body: { tenantIds: [] } })).status).toBe(403);
    expect((await h.request('DELETE', `/api/users/${alice.id}`, { as: alice })).status).toBe(403);
    expect((await h.store.users.get(alice.id))?.role).toBe('member');
  });

  it('shows a member only itself', async () => {
    h = await harness();
    const alice = await h.member('alice');
    const bob = await h.member('bob');
    const list = await h.call('GET', '/api/users', { as: alice });
    expect(list.body.map((u: { username: string }) => u.username)).toEqual(['alice']);
    expect((await h.call('GET', `/api/users/${alice.id}`, { as: alice })).status).toBe(200);
    expect((await h.call('GET', `/api/users/${bob.id}`, { as: alice })).status).toBe(404);
    expect((await h.call('GET', '/api/users', { as: h.admin })).body).toHaveLength(3);
  });

  it('changes role and active flag, and resets a password', async () => {
    h = await harness();
    const alice = await h.member('alice');
    const r = await h.call('PATCH', `/api/users/${alice.id}`, { as: h.admin, body: { role: 'admin', password: 'reset-password' } });
    expect(r.status).toBe(200);
    expect(r.body.role).toBe('admin');
    // The reset ended alice's session; the new password works.
    expect((await h.call('GET', '/api/auth/me', { as: alice })).status).toBe(401);
    const again = await h.login('alice', 'reset-password');
    expect((await h.call('POST', '/api/tenants', { as: again, body: { name: 't', prefix: '/t' } })).status).toBe(201);
  });

  it('keeps the last active admin', async () => {
    h = await harness();
    const me = (await h.call('GET', '/api/auth/me', { as: h.admin })).body.user.id as string;
    const demote = await h.call('PATCH', `/api/users/${me}`, { as: h.admin, body: { role: 'member' } });
    expect(demote.status).toBe(409);
    expect(demote.body.error.message).toContain('last active admin');
    expect((await h.call('PATCH', `/api/users/${me}`, { as: h.admin, body: { active: false } })).status).toBe(409);
    expect((await h.request('DELETE', `/api/users/${me}`, { as: h.admin })).status).toBe(409);
    await h.member('second', [], 'admin');
    expect((await h.call('PATCH', `/api/users/${me}`, { as: h.admin, body: { role: 'member' } })).status).toBe(200);
  });

  it('deletes a user: sessions and tokens stop working', async () => {
    h = await harness();
    const alice = await h.member('alice');
    const token = (await h.call('POST', '/api/tokens', { as: alice, body: { name: 'ci' } })).body.token as string;
    expect((await h.request('DELETE', `/api/users/${alice.id}`, { as: h.admin })).status).toBe(204);
    expect((await h.call('GET', '/api/auth/me', { as: alice })).status).toBe(401);
    expect((await h.call('GET', '/api/auth/me', { as: { token } })).status).toBe(401);
    expect((await h.call('GET', `/api/users/${alice.id}`, { as: h.admin })).status).toBe(404);
  });

  it('replaces memberships', async () => {
    h = await harness();
    const a = await h.tenant('a');
    const b = await h.tenant('b');
    const alice = await h.member('alice', [a.id]);
    const r = await h.call('PUT', `/api/users/${alice.id}/tenants`, { as: h.admin, body: { tenantIds: [b.id] } });
    expect(r.status).toBe(200);
    expect(r.body.tenantIds).toEqual([b.id]);
    expect((await h.call('GET', '/api/tenants', { as: alice })).body.map((x: { name: string }) => x.name)).toEqual(['b']);
  });
});

describe('bootstrap', () => {
  it('creates the admin once, with a generated password only when none is set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcp-admin-boot-'));
    try {
      const store = await openStore(`sqlite:${join(dir, 'a.sqlite')}`);
      const first = await bootstrapAdmin(store, defaultSettings());
      expect(first.created).toBe(true);
      expect(first.username).toBe('admin');
      expect(first.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const secret = await store.users.getSecret('admin');
      expect(secret?.role).toBe('admin');
      expect(await Bun.password.verify(first.generatedPassword ?? '', secret?.passwordHash ?? '')).toBe(true);
      const second = await bootstrapAdmin(store, { ...defaultSettings(), bootstrapPassword: 'ignored-now' });
      expect(second).toEqual({ created: false, username: 'admin' });
      expect(await store.users.count()).toBe(1);
      const audit = await store.audit.list({ action: 'user.create' });
      expect(audit).toHaveLength(1);
      expect(JSON.stringify(audit)).not.toContain(first.generatedPassword ?? '');
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses the configured user and password', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcp-admin-boot-'));
    try {
      const store = await openStore(`sqlite:${join(dir, 'a.sqlite')}`);
      const r = await bootstrapAdmin(store, { ...defaultSettings(), bootstrapUser: 'root', bootstrapPassword: 'root-password' });
      expect(r).toEqual({ created: true, username: 'root' });
      expect(await Bun.password.verify('root-password', (await store.users.getSecret('root'))?.passwordHash ?? '')).toBe(true);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
