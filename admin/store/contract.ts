/**
 * The contract every `WebStore` driver passes (unstorage's shared driver suite is the model): one
 * function that defines the `describe`/`it` blocks, run by `store.test.ts` once per backend.
 *
 * `open` must return a migrated store with empty tables, using the given clock for the times the store
 * sets itself; it is called before every test, and the store is closed after it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { StoreError, type StoreErrorCode, type WebStore } from './types.ts';

/** A clock the tests move by hand. */
export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

const START = Date.parse('2031-05-06T07:08:09.123Z');

function testClock(): TestClock {
  let t = START;
  return {
    now: () => new Date(t),
    advance: (ms) => {
      t += ms;
    },
  };
}

const at = (iso: string) => new Date(iso);

async function expectStoreError(work: Promise<unknown>, code: StoreErrorCode, message?: string | RegExp): Promise<StoreError> {
  let caught: unknown;
  try {
    await work;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StoreError);
  const err = caught as StoreError;
  expect(err.code).toBe(code);
  if (message !== undefined) expect(err.message).toMatch(message);
  return err;
}

/** Defines the contract's tests for one backend. */
export function runStoreContract(name: string, open: (options: { now: () => Date }) => Promise<WebStore>): void {
  describe(`WebStore contract (${name})`, () => {
    let store: WebStore;
    let clock: TestClock;

    beforeEach(async () => {
      clock = testClock();
      store = await open({ now: () => clock.now() });
    });
    afterEach(async () => {
      // Some tests close the store themselves.
      await store.close().catch(() => {});
    });

    const alice = () => store.users.create({ username: 'alice', passwordHash: '$argon2id$alice', role: 'admin' });
    const bob = () => store.users.create({ username: 'bob', passwordHash: '$argon2id$bob', role: 'member' });
    const acme = () => store.tenants.create({ name: 'acme', prefix: '/acme', description: 'Acme Corp' });
    const globex = () => store.tenants.create({ name: 'globex', prefix: '/globex' });
    const token = (userId: string, n = 1) =>
      store.tokens.create({
        userId,
        name: `token ${n}`,
        tokenHash: `${'ab'.repeat(31)}${String(n).padStart(2, '0')}`,
        displayPrefix: `mcp_${n}`,
        tenantIds: [],
      });
    const session = (userId: string, idHash: string, expiresAt: Date) =>
      store.sessions.create({
        idHash,
        userId,
        csrfToken: `csrf-${idHash}`,
        createdAt: at('2031-05-06T07:00:00.001Z'),
        expiresAt,
        lastSeenAt: at('2031-05-06T07:00:00.001Z'),
      });

    describe('users', () => {
      it('creates a user with an id, active by default, and finds it by id and by username', async () => {
        const user = await alice();
        expect(user).toEqual({
          id: expect.any(String),
          username: 'alice',
          role: 'admin',
          active: true,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        });
        expect(await store.users.get(user.id)).toEqual(user);
        expect(await store.users.getByUsername('alice')).toEqual(user);
      });

      it('creates an inactive user when asked', async () => {
        const user = await store.users.create({ username: 'carol', passwordHash: 'h', role: 'member', active: false });
        expect((await store.users.get(user.id))?.active).toBe(false);
      });

      it('gives each user its own id', async () => {
        const [a, b] = [await alice(), await bob()];
        expect(a.id).not.toBe(b.id);
      });

      it('returns undefined when no user has the id or name', async () => {
        await alice();
        expect(await store.users.get('no-such-id')).toBeUndefined();
        expect(await store.users.getByUsername('nobody')).toBeUndefined();
        expect(await store.users.getSecret('nobody')).toBeUndefined();
      });

      it('throws conflict when the username is taken', async () => {
        await alice();
        const err = await expectStoreError(
          store.users.create({ username: 'alice', passwordHash: 'other-hash', role: 'member' }),
          'conflict',
          'username "alice" is taken',
        );
        expect(err.message).not.toContain('other-hash');
        expect(await store.users.count()).toBe(1);
      });

      it('compares usernames exactly when Alice and alice differ only in case', async () => {
        await alice();
        const upper = await store.users.create({ username: 'Alice', passwordHash: 'h', role: 'member' });
        expect((await store.users.getByUsername('Alice'))?.id).toBe(upper.id);
        expect(await store.users.count()).toBe(2);
      });

      it('keeps non-ASCII usernames intact', async () => {
        const user = await store.users.create({ username: 'zoë-🦊', passwordHash: 'h', role: 'member' });
        expect((await store.users.getByUsername('zoë-🦊'))?.id).toBe(user.id);
      });

      it('returns the hash and login counters with getSecret', async () => {
        const user = await alice();
        expect(await store.users.getSecret('alice')).toEqual({
          ...user,
          passwordHash: '$argon2id$alice',
          failedLogins: 0,
          lockedUntil: undefined,
        });
      });

      it('lists users by username and counts them', async () => {
        await bob();
        await alice();
        expect(await store.users.count()).toBe(2);
        expect((await store.users.list()).map((u) => u.username)).toEqual(['alice', 'bob']);
        expect(await store.users.list()).not.toContainEqual(expect.objectContaining({ passwordHash: expect.anything() }));
      });

      it('counts zero and lists nothing when there are no users', async () => {
        expect(await store.users.count()).toBe(0);
        expect(await store.users.list()).toEqual([]);
      });

      it('updates role, active and password hash and bumps updatedAt', async () => {
        const user = await alice();
        clock.advance(1500);
        const updated = await store.users.update(user.id, { role: 'member', active: false, passwordHash: 'new-hash' });
        expect(updated).toEqual({ ...user, role: 'member', active: false, updatedAt: clock.now() });
        expect((await store.users.getSecret('alice'))?.passwordHash).toBe('new-hash');
      });

      it('changes only the fields a patch names', async () => {
        const user = await alice();
        clock.advance(10);
        await store.users.update(user.id, { active: false });
        expect(await store.users.getSecret('alice')).toMatchObject({ role: 'admin', active: false, passwordHash: '$argon2id$alice' });
      });

      it('leaves a user as it is when the patch is empty', async () => {
        const user = await alice();
        clock.advance(10);
        expect(await store.users.update(user.id, {})).toEqual(user);
      });

      it('returns undefined when updating a user that does not exist', async () => {
        expect(await store.users.update('no-such-id', { role: 'member' })).toBeUndefined();
      });

      it('deletes a user and reports whether there was one', async () => {
        const user = await alice();
        expect(await store.users.delete(user.id)).toBe(true);
        expect(await store.users.get(user.id)).toBeUndefined();
        expect(await store.users.delete(user.id)).toBe(false);
      });

      it('counts failed logins and sets lockedUntil, and a success resets both', async () => {
        const user = await alice();
        const until = at('2031-05-06T07:23:09.456Z');
        await store.users.recordLoginFailure(user.id, undefined);
        await store.users.recordLoginFailure(user.id, until);
        expect(await store.users.getSecret('alice')).toMatchObject({ failedLogins: 2, lockedUntil: until });
        await store.users.recordLoginFailure(user.id, undefined);
        expect(await store.users.getSecret('alice')).toMatchObject({ failedLogins: 3, lockedUntil: undefined });
        await store.users.recordLoginSuccess(user.id);
        expect(await store.users.getSecret('alice')).toMatchObject({ failedLogins: 0, lockedUntil: undefined });
        // Login bookkeeping is not an edit of the user.
        expect((await store.users.get(user.id))?.updatedAt).toEqual(user.updatedAt);
      });
    });

    describe('tenants', () => {
      it('creates a tenant, active with an empty description by default, and finds it by id and name', async () => {
        const tenant = await globex();
        expect(tenant).toEqual({
          id: expect.any(String),
          name: 'globex',
          prefix: '/globex',
          description: '',
          active: true,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        });
        expect(await store.tenants.get(tenant.id)).toEqual(tenant);
        expect(await store.tenants.getByName('globex')).toEqual(tenant);
        expect(await store.tenants.get('no-such-id')).toBeUndefined();
        expect(await store.tenants.getByName('nope')).toBeUndefined();
      });

      it('throws conflict naming the name when the name is taken', async () => {
        await acme();
        await expectStoreError(store.tenants.create({ name: 'acme', prefix: '/acme2' }), 'conflict', 'tenant name "acme" is taken');
      });

      it('throws conflict naming the prefix when the prefix is taken', async () => {
        await acme();
        await expectStoreError(store.tenants.create({ name: 'acme2', prefix: '/acme' }), 'conflict', 'tenant prefix "/acme" is taken');
        expect((await store.tenants.list()).length).toBe(1);
      });

      it('lists tenants by name', async () => {
        await globex();
        await acme();
        expect((await store.tenants.list()).map((t) => t.name)).toEqual(['acme', 'globex']);
      });

      it('updates prefix, description and active and bumps updatedAt', async () => {
        const tenant = await acme();
        clock.advance(2000);
        const updated = await store.tenants.update(tenant.id, { prefix: '/a', description: 'new', active: false });
        expect(updated).toEqual({ ...tenant, prefix: '/a', description: 'new', active: false, updatedAt: clock.now() });
        expect(await store.tenants.get(tenant.id)).toEqual(updated);
      });

      it('throws conflict when an update takes another tenant’s prefix', async () => {
        const tenant = await acme();
        await globex();
        await expectStoreError(store.tenants.update(tenant.id, { prefix: '/globex' }), 'conflict', 'tenant prefix "/globex" is taken');
        expect((await store.tenants.get(tenant.id))?.prefix).toBe('/acme');
      });

      it('returns undefined when updating a tenant that does not exist', async () => {
        expect(await store.tenants.update('no-such-id', { description: 'x' })).toBeUndefined();
      });

      it('deletes a tenant, removing its memberships', async () => {
        const [user, tenant, other] = [await alice(), await acme(), await globex()];
        await store.memberships.set(user.id, [tenant.id, other.id]);
        expect(await store.tenants.delete(tenant.id)).toBe(true);
        expect(await store.tenants.delete(tenant.id)).toBe(false);
        expect((await store.memberships.tenantsOf(user.id)).map((t) => t.name)).toEqual(['globex']);
        expect(await store.users.get(user.id)).toBeDefined();
      });
    });

    describe('memberships', () => {
      it('replaces a user’s memberships with exactly the given tenants', async () => {
        const [user, a, g] = [await alice(), await acme(), await globex()];
        await store.memberships.set(user.id, [g.id]);
        await store.memberships.set(user.id, [a.id, g.id, a.id]);
        expect(await store.memberships.tenantsOf(user.id)).toEqual([a, g]);
        await store.memberships.set(user.id, [a.id]);
        expect(await store.memberships.tenantsOf(user.id)).toEqual([a]);
        await store.memberships.set(user.id, []);
        expect(await store.memberships.tenantsOf(user.id)).toEqual([]);
      });

      it('leaves other users’ memberships alone when setting one user’s', async () => {
        const [a, b, t] = [await alice(), await bob(), await acme()];
        await store.memberships.set(b.id, [t.id]);
        await store.memberships.set(a.id, []);
        expect(await store.memberships.membersOf(t.id)).toEqual([b]);
      });

      it('throws conflict and keeps the old memberships when set names a tenant that does not exist', async () => {
        const [user, a] = [await alice(), await acme()];
        await store.memberships.set(user.id, [a.id]);
        await expectStoreError(store.memberships.set(user.id, ['no-such-tenant']), 'conflict', `user "${user.id}"`);
        expect(await store.memberships.tenantsOf(user.id)).toEqual([a]);
      });

      it('adds a membership once however often it is added', async () => {
        const [user, a] = [await alice(), await acme()];
        await store.memberships.add(user.id, a.id);
        await store.memberships.add(user.id, a.id);
        expect(await store.memberships.tenantsOf(user.id)).toEqual([a]);
      });

      it('throws conflict when adding a membership of a user or tenant that does not exist', async () => {
        const [user, a] = [await alice(), await acme()];
        await expectStoreError(store.memberships.add(user.id, 'no-such-tenant'), 'conflict', 'tenant "no-such-tenant"');
        await expectStoreError(store.memberships.add('no-such-user', a.id), 'conflict', 'user "no-such-user"');
      });

      it('removes a membership, and removing a missing one is harmless', async () => {
        const [user, a, g] = [await alice(), await acme(), await globex()];
        await store.memberships.set(user.id, [a.id, g.id]);
        await store.memberships.remove(user.id, a.id);
        await store.memberships.remove(user.id, a.id);
        expect(await store.memberships.tenantsOf(user.id)).toEqual([g]);
      });

      it('lists a user’s tenants by name and a tenant’s members by username', async () => {
        const [b, a, g, t] = [await bob(), await alice(), await globex(), await acme()];
        await store.memberships.add(b.id, g.id);
        await store.memberships.add(b.id, t.id);
        await store.memberships.add(a.id, t.id);
        expect((await store.memberships.tenantsOf(b.id)).map((x) => x.name)).toEqual(['acme', 'globex']);
        expect(await store.memberships.membersOf(t.id)).toEqual([a, b]);
        expect(await store.memberships.membersOf(g.id)).toEqual([b]);
        expect(await store.memberships.tenantsOf('no-such-user')).toEqual([]);
      });
    });

    describe('tokens', () => {
      it('creates a token and finds it by hash and by id', async () => {
        const [user, a] = [await alice(), await acme()];
        const expiresAt = at('2031-08-01T00:00:00.999Z');
        const created = await store.tokens.create({
          userId: user.id,
          name: 'ci',
          tokenHash: 'f'.repeat(64),
          displayPrefix: 'mcp_abcd',
          tenantIds: [a.id],
          expiresAt,
        });
        expect(created).toEqual({
          id: expect.any(String),
          userId: user.id,
          name: 'ci',
          displayPrefix: 'mcp_abcd',
          tenantIds: [a.id],
          createdAt: clock.now(),
          lastUsedAt: undefined,
          expiresAt,
          revokedAt: undefined,
        });
        expect(created).not.toHaveProperty('tokenHash');
        expect(await store.tokens.getByHash('f'.repeat(64))).toEqual(created);
        expect(await store.tokens.get(created.id)).toEqual(created);
        expect(await store.tokens.getByHash('0'.repeat(64))).toBeUndefined();
        expect(await store.tokens.get('no-such-id')).toBeUndefined();
      });

      it('keeps an empty tenant list and no expiry', async () => {
        const created = await token((await alice()).id);
        expect(await store.tokens.get(created.id)).toMatchObject({ tenantIds: [], expiresAt: undefined });
      });

      it('throws conflict when the hash is taken, without showing the hash', async () => {
        const user = await alice();
        await token(user.id, 1);
        const err = await expectStoreError(
          store.tokens.create({ userId: user.id, name: 'again', tokenHash: `${'ab'.repeat(31)}01`, displayPrefix: 'x', tenantIds: [] }),
          'conflict',
          'API token "again"',
        );
        expect(err.message).not.toContain('abab');
      });

      it('throws conflict when the user does not exist', async () => {
        await expectStoreError(token('no-such-user'), 'conflict', 'user "no-such-user" does not exist');
      });

      it('lists a user’s tokens newest first', async () => {
        const [a, b] = [await alice(), await bob()];
        await token(a.id, 1);
        clock.advance(1000);
        await token(a.id, 2);
        await token(a.id, 3);
        await token(b.id, 4);
        expect((await store.tokens.listByUser(a.id)).map((t) => t.name)).toEqual(['token 3', 'token 2', 'token 1']);
        expect(await store.tokens.listByUser('no-such-user')).toEqual([]);
      });

      it('revokes a token, keeps the first revocation time, and still finds it by hash', async () => {
        const created = await token((await alice()).id);
        const first = at('2031-05-06T08:00:00.001Z');
        expect(await store.tokens.revoke(created.id, first)).toBe(true);
        expect(await store.tokens.revoke(created.id, at('2031-05-06T09:00:00.002Z'))).toBe(true);
        expect(await store.tokens.getByHash(`${'ab'.repeat(31)}01`)).toEqual({ ...created, revokedAt: first });
      });

      it('returns false when revoking a token that does not exist', async () => {
        expect(await store.tokens.revoke('no-such-id', clock.now())).toBe(false);
      });

      it('records the last use with touch', async () => {
        const created = await token((await alice()).id);
        await store.tokens.touch(created.id, at('2031-05-06T10:11:12.013Z'));
        await store.tokens.touch(created.id, at('2031-05-06T10:11:12.014Z'));
        expect((await store.tokens.get(created.id))?.lastUsedAt).toEqual(at('2031-05-06T10:11:12.014Z'));
        await store.tokens.touch('no-such-id', clock.now());
      });
    });

    describe('sessions', () => {
      it('stores a session and finds it by id hash', async () => {
        const user = await alice();
        await session(user.id, 'h1', at('2031-05-06T19:00:00.789Z'));
        expect(await store.sessions.get('h1')).toEqual({
          idHash: 'h1',
          userId: user.id,
          csrfToken: 'csrf-h1',
          createdAt: at('2031-05-06T07:00:00.001Z'),
          expiresAt: at('2031-05-06T19:00:00.789Z'),
          lastSeenAt: at('2031-05-06T07:00:00.001Z'),
        });
        expect(await store.sessions.get('h2')).toBeUndefined();
      });

      it('returns an expired session until it is purged', async () => {
        const user = await alice();
        await session(user.id, 'old', at('2001-01-01T00:00:00.000Z'));
        expect((await store.sessions.get('old'))?.expiresAt).toEqual(at('2001-01-01T00:00:00.000Z'));
      });

      it('throws conflict when the id hash is taken or the user does not exist', async () => {
        const user = await alice();
        await session(user.id, 'h1', clock.now());
        await expectStoreError(session(user.id, 'h1', clock.now()), 'conflict', 'console session');
        await expectStoreError(session('no-such-user', 'h2', clock.now()), 'conflict', 'user "no-such-user"');
      });

      it('moves last-seen and expiry with touch', async () => {
        const user = await alice();
        await session(user.id, 'h1', at('2031-05-06T19:00:00.000Z'));
        await store.sessions.touch('h1', at('2031-05-06T08:30:00.555Z'), at('2031-05-06T20:30:00.555Z'));
        expect(await store.sessions.get('h1')).toMatchObject({
          lastSeenAt: at('2031-05-06T08:30:00.555Z'),
          expiresAt: at('2031-05-06T20:30:00.555Z'),
        });
      });

      it('deletes one session, or all of a user’s', async () => {
        const [a, b] = [await alice(), await bob()];
        await session(a.id, 'a1', clock.now());
        await session(a.id, 'a2', clock.now());
        await session(b.id, 'b1', clock.now());
        await store.sessions.delete('a1');
        await store.sessions.delete('a1');
        expect(await store.sessions.get('a1')).toBeUndefined();
        expect(await store.sessions.get('a2')).toBeDefined();
        await store.sessions.deleteByUser(a.id);
        expect(await store.sessions.get('a2')).toBeUndefined();
        expect(await store.sessions.get('b1')).toBeDefined();
      });

      it('purges the sessions that expired by now and counts them', async () => {
        const user = await alice();
        const now = at('2031-05-06T12:00:00.500Z');
        await session(user.id, 'past', at('2031-05-06T12:00:00.499Z'));
        await session(user.id, 'exact', now);
        await session(user.id, 'future', at('2031-05-06T12:00:00.501Z'));
        expect(await store.sessions.purgeExpired(now)).toBe(2);
        expect(await store.sessions.get('past')).toBeUndefined();
        expect(await store.sessions.get('exact')).toBeUndefined();
        expect(await store.sessions.get('future')).toBeDefined();
        expect(await store.sessions.purgeExpired(now)).toBe(0);
      });
    });

    describe('cascades', () => {
      it('removes a user’s memberships, tokens and sessions with the user, and nothing else', async () => {
        const [a, b, t] = [await alice(), await bob(), await acme()];
        await store.memberships.set(a.id, [t.id]);
        await store.memberships.set(b.id, [t.id]);
        const tokenA = await token(a.id, 1);
        const tokenB = await token(b.id, 2);
        await session(a.id, 'sa', clock.now());
        await session(b.id, 'sb', clock.now());
        await store.audit.append({ actor: 'user:alice', action: 'auth.login', target: 'user:alice', tenantId: undefined, details: {} });

        expect(await store.users.delete(a.id)).toBe(true);

        expect(await store.memberships.membersOf(t.id)).toEqual([b]);
        expect(await store.memberships.tenantsOf(a.id)).toEqual([]);
        expect(await store.tokens.get(tokenA.id)).toBeUndefined();
        expect(await store.tokens.listByUser(a.id)).toEqual([]);
        expect(await store.sessions.get('sa')).toBeUndefined();
        expect(await store.tokens.get(tokenB.id)).toBeDefined();
        expect(await store.sessions.get('sb')).toBeDefined();
        expect(await store.tenants.get(t.id)).toEqual(t);
        expect((await store.audit.list()).length).toBe(1);
      });
    });

    describe('audit', () => {
      const entry = (action: string, extra: { at?: Date; tenantId?: string; actor?: string } = {}) =>
        store.audit.append({
          actor: extra.actor ?? 'user:alice',
          action,
          target: 'tenant:acme',
          tenantId: extra.tenantId,
          details: { action },
          ...(extra.at ? { at: extra.at } : {}),
        });

      it('appends an entry stamped now with an id, and keeps its details', async () => {
        const details = { changed: ['prefix'], from: '/a', to: '/b', count: 2, nested: { ok: true }, none: null };
        const appended = await store.audit.append({
          actor: 'user:alice',
          action: 'tenant.update',
          target: 'tenant:acme',
          tenantId: 't-1',
          details,
        });
        expect(appended).toEqual({
          id: expect.any(String),
          at: clock.now(),
          actor: 'user:alice',
          action: 'tenant.update',
          target: 'tenant:acme',
          tenantId: 't-1',
          details,
        });
        expect(await store.audit.list()).toEqual([appended]);
      });

      it('keeps a given time and an absent tenant', async () => {
        const appended = await entry('auth.login', { at: at('2030-01-01T00:00:00.007Z') });
        expect(appended.at).toEqual(at('2030-01-01T00:00:00.007Z'));
        expect((await store.audit.list())[0]).toMatchObject({ at: at('2030-01-01T00:00:00.007Z'), tenantId: undefined });
      });

      it('lists newest first whatever the order of appending', async () => {
        await entry('b', { at: at('2031-01-02T00:00:00.000Z') });
        await entry('c', { at: at('2031-01-03T00:00:00.000Z') });
        await entry('a', { at: at('2031-01-01T00:00:00.000Z') });
        await entry('d', { at: at('2031-01-02T00:00:00.001Z') });
        expect((await store.audit.list()).map((e) => e.action)).toEqual(['c', 'd', 'b', 'a']);
      });

      it('lists entries of the same millisecond last appended first', async () => {
        const same = at('2031-01-01T00:00:00.000Z');
        for (const action of ['first', 'second', 'third']) await entry(action, { at: same });
        expect((await store.audit.list()).map((e) => e.action)).toEqual(['third', 'second', 'first']);
      });

      it('filters by tenant, actor, action and time, and limits', async () => {
        await entry('user.create', { at: at('2031-01-01T00:00:00.000Z'), tenantId: 't1' });
        await entry('user.update', { at: at('2031-01-02T00:00:00.000Z'), tenantId: 't1', actor: 'user:bob' });
        await entry('user.create', { at: at('2031-01-03T00:00:00.000Z'), tenantId: 't2' });
        await entry('auth.login', { at: at('2031-01-04T00:00:00.000Z') });
        const actions = async (filter: Parameters<WebStore['audit']['list']>[0]) =>
          (await store.audit.list(filter)).map((e) => `${e.action}@${e.at.toISOString().slice(0, 10)}`);

        expect(await actions({ tenantId: 't1' })).toEqual(['user.update@2031-01-02', 'user.create@2031-01-01']);
        expect(await actions({ actor: 'user:bob' })).toEqual(['user.update@2031-01-02']);
        expect(await actions({ action: 'user.create' })).toEqual(['user.create@2031-01-03', 'user.create@2031-01-01']);
        expect(await actions({ before: at('2031-01-03T00:00:00.000Z') })).toEqual(['user.update@2031-01-02', 'user.create@2031-01-01']);
        expect(await actions({ limit: 2 })).toEqual(['auth.login@2031-01-04', 'user.create@2031-01-03']);
        expect(await actions({ action: 'user.create', tenantId: 't2' })).toEqual(['user.create@2031-01-03']);
        expect(await actions({ tenantId: 't3' })).toEqual([]);
        expect(await actions({ limit: 0 })).toEqual([]);
      });

      it('returns at most 100 entries when no limit is given', async () => {
        for (let i = 0; i < 101; i++) await entry(`a${i}`, { at: new Date(START + i) });
        const list = await store.audit.list();
        expect(list.length).toBe(100);
        expect(list[0]?.action).toBe('a100');
      });
    });

    describe('dates', () => {
      const entry = (action: string, when: Date) =>
        store.audit.append({ actor: 'system', action, target: 'x', tenantId: undefined, details: {}, at: when });

      it('round-trips millisecond times from 1970 to 2999', async () => {
        const user = await alice();
        for (const iso of ['1970-01-01T00:00:00.001Z', '2000-02-29T23:59:59.999Z', '2999-12-31T23:59:59.998Z']) {
          await store.users.recordLoginFailure(user.id, at(iso));
          expect((await store.users.getSecret('alice'))?.lockedUntil).toEqual(at(iso));
          const logged = await entry(iso, at(iso));
          expect((await store.audit.list({ action: iso }))[0]?.at).toEqual(logged.at);
        }
      });
    });

    describe('migrations', () => {
      it('leaves data alone when migrate runs again', async () => {
        const user = await alice();
        await store.migrate();
        await store.migrate();
        expect(await store.users.get(user.id)).toEqual(user);
      });
    });

    describe('errors', () => {
      it('throws unavailable when the store is closed', async () => {
        await store.close();
        await expectStoreError(store.users.count(), 'unavailable', /users\.count/);
      });
    });
  });
}
