/**
 * The one `WebStore` implementation, written once with drizzle's query builder and run by every driver
 * (`sqlite.ts`, `pg.ts`, `mysql.ts`), which hand over their database, their tables and the few things
 * that differ between dialects (`Dialect`).
 *
 * drizzle has no dialect-neutral database type, so this code is typed against its async SQLite database
 * and SQLite tables; the other drivers pass theirs through a cast. That is sound for what is used here:
 * select/insert/update/delete with where, orderBy, limit and innerJoin exist with the same meaning in all
 * three dialects, the conditions (`eq`, `and`, …) are dialect-neutral, and the row shapes are checked
 * equal below at compile time. What differs (affected-row counts, transactions, migrations) goes through
 * `Dialect`, and SQLite-only builder methods (`returning`, `onConflict…`, `get`, `all`) must not be used
 * here: the contract suite runs every line on every dialect.
 */
import {
  and,
  count,
  DrizzleQueryError,
  desc,
  eq,
  getTableColumns,
  isNull,
  lt,
  lte,
  type SQL,
  sql,
  type Table,
} from 'drizzle-orm';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type * as mysqlSchema from './schema/mysql.ts';
import type * as pgSchema from './schema/pg.ts';
import type * as sqliteSchema from './schema/sqlite.ts';
import {
  type ApiToken,
  type AuditEntry,
  type AuditStore,
  type ConsoleSession,
  type MembershipStore,
  type SessionStore,
  StoreError,
  type StoreDialect,
  type Tenant,
  type TenantStore,
  type TokenStore,
  type User,
  type UserStore,
  type UserWithSecret,
  type WebStore,
} from './types.ts';

/** The tables, as the shared code sees them (see the module comment). */
export type Tables = typeof sqliteSchema;
/** A database of any dialect, as the shared code sees it (see the module comment). */
export type Db = BaseSQLiteDatabase<'async', unknown>;

type Rows<S> = { [K in keyof S]: S[K] extends Table ? [S[K]['$inferSelect'], S[K]['$inferInsert']] : never };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The casts in the drivers are only sound while every dialect's rows look alike: a column added to one
// schema and not the others, or mapped to another JS type, fails the type check here.
const pgRowsMatch: Same<Rows<typeof pgSchema>, Rows<Tables>> = true;
const mysqlRowsMatch: Same<Rows<typeof mysqlSchema>, Rows<Tables>> = true;
void [pgRowsMatch, mysqlRowsMatch];

/** What a driver provides: its database and tables, and the parts drizzle does not unify. */
export interface Dialect {
  readonly name: StoreDialect;
  /** The database in messages, without credentials: `postgres://db.internal:5432/admin`. */
  readonly label: string;
  readonly db: Db;
  readonly tables: Tables;
  /** The rows a write matched, from the driver's result of an update or delete. */
  affected(result: unknown): number;
  /** Runs the queries `build` makes on the transaction's database, in order, in one transaction. */
  atomic(build: (tx: Db) => readonly PromiseLike<unknown>[]): Promise<void>;
  /** Applies the committed migrations with drizzle's migrator for the dialect. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/** How many audit entries `audit.list` returns when the filter names no limit, and at most. */
export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1000;

/** Options every driver takes. */
export interface StoreOptions {
  /** The clock for creation and update times and default audit times (tests inject one). */
  now?: () => Date;
}

/** Builds the `WebStore` on a dialect. Every method throws only `StoreError`. */
export function createStore(d: Dialect, options: StoreOptions = {}): WebStore {
  const { db, tables: t } = d;
  const now = options.now ?? (() => new Date());
  const userColumns = {
    id: t.users.id,
    username: t.users.username,
    role: t.users.role,
    active: t.users.active,
    createdAt: t.users.createdAt,
    updatedAt: t.users.updatedAt,
  };
  const tenantColumns = getTableColumns(t.tenants);

  const users: UserStore = {
    async create(user) {
      const at = now();
      const row = {
        id: newId(),
        username: user.username,
        passwordHash: user.passwordHash,
        role: user.role,
        active: user.active ?? true,
        failedLogins: 0,
        lockedUntil: null,
        createdAt: at,
        updatedAt: at,
      };
      await write(db.insert(t.users).values(row), () => `username "${user.username}" is taken`);
      return toUser(row);
    },
    async get(id) {
      return first(await db.select(userColumns).from(t.users).where(eq(t.users.id, id)).limit(1));
    },
    async getByUsername(username) {
      return first(await db.select(userColumns).from(t.users).where(eq(t.users.username, username)).limit(1));
    },
    async getSecret(username) {
      const row = first(await db.select().from(t.users).where(eq(t.users.username, username)).limit(1));
      return row && toUserWithSecret(row);
    },
    async list() {
      return db.select(userColumns).from(t.users).orderBy(t.users.username);
    },
    async count() {
      const [row] = await db.select({ n: count() }).from(t.users);
      return row?.n ?? 0;
    },
    async update(id, patch) {
      const set = defined({ role: patch.role, active: patch.active, passwordHash: patch.passwordHash });
      if (Object.keys(set).length > 0) {
        await db
          .update(t.users)
          .set({ ...set, updatedAt: now() })
          .where(eq(t.users.id, id));
      }
      return users.get(id);
    },
    async delete(id) {
      return d.affected(await db.delete(t.users).where(eq(t.users.id, id))) > 0;
    },
    async recordLoginFailure(id, lockedUntil) {
      await db
        .update(t.users)
        .set({ failedLogins: sql`${t.users.failedLogins} + 1`, lockedUntil: lockedUntil ?? null })
        .where(eq(t.users.id, id));
    },
    async recordLoginSuccess(id) {
      await db.update(t.users).set({ failedLogins: 0, lockedUntil: null }).where(eq(t.users.id, id));
    },
  };

  const tenants: TenantStore = {
    async create(tenant) {
      const at = now();
      const row = {
        id: newId(),
        name: tenant.name,
        prefix: tenant.prefix,
        description: tenant.description ?? '',
        active: tenant.active ?? true,
        createdAt: at,
        updatedAt: at,
      };
      await write(db.insert(t.tenants).values(row), (v) =>
        v.key.includes('prefix') ? `tenant prefix "${tenant.prefix}" is taken` : `tenant name "${tenant.name}" is taken`,
      );
      return row;
    },
    async get(id) {
      return first(await db.select().from(t.tenants).where(eq(t.tenants.id, id)).limit(1));
    },
    async getByName(name) {
      return first(await db.select().from(t.tenants).where(eq(t.tenants.name, name)).limit(1));
    },
    async list() {
      return db.select().from(t.tenants).orderBy(t.tenants.name);
    },
    async update(id, patch) {
      const set = defined({ prefix: patch.prefix, description: patch.description, active: patch.active });
      if (Object.keys(set).length > 0) {
        await write(
          db
            .update(t.tenants)
            .set({ ...set, updatedAt: now() })
            .where(eq(t.tenants.id, id)),
          () => `tenant prefix "${patch.prefix}" is taken`,
        );
      }
      return tenants.get(id);
    },
    async delete(id) {
      return d.affected(await db.delete(t.tenants).where(eq(t.tenants.id, id))) > 0;
    },
  };

  const m = t.memberships;
  const memberships: MembershipStore = {
    async set(userId, tenantIds) {
      const rows = [...new Set(tenantIds)].map((tenantId) => ({ userId, tenantId }));
      await write(
        d.atomic((tx) => [
          tx.delete(m).where(eq(m.userId, userId)),
          ...(rows.length > 0 ? [tx.insert(m).values(rows)] : []),
        ]),
        () => `memberships of user "${userId}": the user or one of the tenants does not exist`,
      );
    },
    async add(userId, tenantId) {
      try {
        await db.insert(m).values({ userId, tenantId });
      } catch (err) {
        // Adding a membership that exists is not an error. A portable "insert or ignore" would also skip
        // the reference check on MySQL (INSERT IGNORE), so the duplicate is caught instead.
        const v = violation(err);
        if (v?.kind === 'unique') return;
        if (v !== undefined) {
          const message = `membership: user "${userId}" or tenant "${tenantId}" does not exist`;
          throw new StoreError('conflict', message, { cause: driverError(err) });
        }
        throw err;
      }
    },
    async remove(userId, tenantId) {
      await db.delete(m).where(and(eq(m.userId, userId), eq(m.tenantId, tenantId)));
    },
    async tenantsOf(userId) {
      return db
        .select(tenantColumns)
        .from(m)
        .innerJoin(t.tenants, eq(m.tenantId, t.tenants.id))
        .where(eq(m.userId, userId))
        .orderBy(t.tenants.name);
    },
    async membersOf(tenantId) {
      return db
        .select(userColumns)
        .from(m)
        .innerJoin(t.users, eq(m.userId, t.users.id))
        .where(eq(m.tenantId, tenantId))
        .orderBy(t.users.username);
    },
  };

  const k = t.apiTokens;
  const tokens: TokenStore = {
    async create(token) {
      const row = {
        id: newId(),
        userId: token.userId,
        name: token.name,
        tokenHash: token.tokenHash,
        displayPrefix: token.displayPrefix,
        tenantIds: JSON.stringify([...token.tenantIds]),
        createdAt: now(),
        lastUsedAt: null,
        expiresAt: token.expiresAt ?? null,
        revokedAt: null,
      };
      await write(db.insert(k).values(row), (v) =>
        v.kind === 'unique'
          ? `API token "${token.name}": its hash is taken`
          : `API token "${token.name}": user "${token.userId}" does not exist`,
      );
      return toToken(row);
    },
    async getByHash(tokenHash) {
      const row = first(await db.select().from(k).where(eq(k.tokenHash, tokenHash)).limit(1));
      return row && toToken(row);
    },
    async get(id) {
      const row = first(await db.select().from(k).where(eq(k.id, id)).limit(1));
      return row && toToken(row);
    },
    async listByUser(userId) {
      const rows = await db.select().from(k).where(eq(k.userId, userId)).orderBy(desc(k.createdAt), desc(k.id));
      return rows.map(toToken);
    },
    async revoke(id, at) {
      // The first revocation time stays; revoking again still reports that the token exists.
      const revoked = await db
        .update(k)
        .set({ revokedAt: at })
        .where(and(eq(k.id, id), isNull(k.revokedAt)));
      if (d.affected(revoked) > 0) return true;
      return (await tokens.get(id)) !== undefined;
    },
    async touch(id, at) {
      await db.update(k).set({ lastUsedAt: at }).where(eq(k.id, id));
    },
  };

  const s = t.consoleSessions;
  const sessions: SessionStore = {
    async create(session) {
      const row = {
        idHash: session.idHash,
        userId: session.userId,
        csrfToken: session.csrfToken,
        createdAt: session.createdAt,
        expiresAt: session.expiresAt,
        lastSeenAt: session.lastSeenAt,
      };
      await write(db.insert(s).values(row), (v) =>
        v.kind === 'unique' ? 'console session: the id is taken' : `console session: user "${session.userId}" does not exist`,
      );
    },
    async get(idHash) {
      return first(await db.select().from(s).where(eq(s.idHash, idHash)).limit(1));
    },
    async touch(idHash, lastSeenAt, expiresAt) {
      await db.update(s).set({ lastSeenAt, expiresAt }).where(eq(s.idHash, idHash));
    },
    async delete(idHash) {
      await db.delete(s).where(eq(s.idHash, idHash));
    },
    async deleteByUser(userId) {
      await db.delete(s).where(eq(s.userId, userId));
    },
    async purgeExpired(cutoff) {
      return d.affected(await db.delete(s).where(lte(s.expiresAt, cutoff)));
    },
  };

  const a = t.auditLog;
  const audit: AuditStore = {
    async append(entry) {
      const row = {
        id: newId(),
        at: entry.at ?? now(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        tenantId: entry.tenantId ?? null,
        details: JSON.stringify(entry.details ?? {}),
      };
      await db.insert(a).values(row);
      return toAudit(row);
    },
    async list(filter = {}) {
      const where: SQL[] = [];
      if (filter.tenantId !== undefined) where.push(eq(a.tenantId, filter.tenantId));
      if (filter.actor !== undefined) where.push(eq(a.actor, filter.actor));
      if (filter.action !== undefined) where.push(eq(a.action, filter.action));
      if (filter.before !== undefined) where.push(lt(a.at, filter.before));
      const requested = filter.limit ?? AUDIT_DEFAULT_LIMIT;
      const limit = Number.isFinite(requested)
        ? Math.min(Math.max(Math.trunc(requested), 0), AUDIT_MAX_LIMIT)
        : AUDIT_DEFAULT_LIMIT;
      if (limit === 0) return [];
      // Ids are UUID v7, ordered by creation: they order entries written in the same millisecond.
      const rows = await db
        .select()
        .from(a)
        .where(and(...where))
        .orderBy(desc(a.at), desc(a.id))
        .limit(limit);
      return rows.map(toAudit);
    },
  };

  return {
    dialect: d.name,
    users: guard(d.label, 'users', users),
    tenants: guard(d.label, 'tenants', tenants),
    memberships: guard(d.label, 'memberships', memberships),
    tokens: guard(d.label, 'tokens', tokens),
    sessions: guard(d.label, 'sessions', sessions),
    audit: guard(d.label, 'audit', audit),
    migrate: () => guarded(d.label, 'migrate', () => d.migrate()),
    close: () => guarded(d.label, 'close', () => d.close()),
  };
}

/** UUID v7: unique without coordination, and ordered by creation time (see `audit.list`). */
const newId = (): string => Bun.randomUUIDv7();

function first<T>(rows: readonly T[]): T | undefined {
  return rows[0];
}

/** The entries whose value is not undefined: a patch's fields to set. */
function defined<T extends Record<string, unknown>>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type UserRow = Tables['users']['$inferSelect'];
type TokenRow = Tables['apiTokens']['$inferSelect'];
type AuditRow = Tables['auditLog']['$inferSelect'];

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    active: row.active,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function toUserWithSecret(row: UserRow): UserWithSecret {
  return {
    ...toUser(row),
    passwordHash: row.passwordHash,
    failedLogins: row.failedLogins,
    lockedUntil: row.lockedUntil ?? undefined,
  };
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    userId: row.userId,
    name: row.name,
    displayPrefix: row.displayPrefix,
    tenantIds: JSON.parse(row.tenantIds) as string[],
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt ?? undefined,
    expiresAt: row.expiresAt ?? undefined,
    revokedAt: row.revokedAt ?? undefined,
  };
}

function toAudit(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    tenantId: row.tenantId ?? undefined,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

// Sessions and tenants have no nullable or encoded columns: their rows are the contract's records.
const sessionRowIsRecord: Same<Tables['consoleSessions']['$inferSelect'], ConsoleSession> = true;
const tenantRowIsRecord: Same<Tables['tenants']['$inferSelect'], Tenant> = true;
void [sessionRowIsRecord, tenantRowIsRecord];

// ---- Errors ----

/** A unique or foreign-key violation; `key` names the constraint or column, as the driver reports it. */
interface Violation {
  readonly kind: 'unique' | 'reference';
  readonly key: string;
}

/**
 * The driver's own error: drizzle wraps it in a DrizzleQueryError whose message carries the SQL and its
 * parameters (password and token hashes), which must not reach a message or a log.
 */
function driverError(err: unknown): unknown {
  let e = err;
  while (e instanceof DrizzleQueryError && e.cause !== undefined) e = e.cause;
  if (e instanceof Error) {
    // mysql2 attaches the query with its values inlined; postgres.js the query and parameters.
    for (const key of ['sql', 'query', 'parameters', 'params']) Reflect.deleteProperty(e, key);
  }
  return e;
}

function violation(err: unknown): Violation | undefined {
  const e = driverError(err) as { code?: unknown; errno?: unknown; message?: unknown; constraint_name?: unknown };
  const message = typeof e?.message === 'string' ? e.message : '';
  // SQLite (bun:sqlite): "UNIQUE constraint failed: tenants.prefix", "FOREIGN KEY constraint failed".
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return { kind: 'unique', key: message };
  }
  if (e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return { kind: 'reference', key: message };
  // PostgreSQL SQLSTATE 23505 unique_violation, 23503 foreign_key_violation; postgres.js names the constraint.
  const constraint = typeof e?.constraint_name === 'string' ? e.constraint_name : message;
  if (e?.code === '23505') return { kind: 'unique', key: constraint };
  if (e?.code === '23503') return { kind: 'reference', key: constraint };
  // MySQL/MariaDB ER_DUP_ENTRY "Duplicate entry '/acme' for key 'tenants_prefix_unique'";
  // ER_NO_REFERENCED_ROW(_2) when the referenced row is missing.
  if (e?.errno === 1062) return { kind: 'unique', key: message.replace(/^Duplicate entry '.*' for key /s, '') };
  if (e?.errno === 1452 || e?.errno === 1216) return { kind: 'reference', key: message };
  return undefined;
}

/** Runs a write; a unique or reference violation becomes a `conflict` with the message `explain` gives. */
async function write<T>(work: PromiseLike<T>, explain: (v: Violation) => string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const v = violation(err);
    if (v !== undefined) throw new StoreError('conflict', explain(v), { cause: driverError(err) });
    throw err;
  }
}

/** The message of a driver error, which may be an AggregateError without one (several addresses refused). */
function messageOf(err: unknown): string {
  const e = driverError(err);
  if (e instanceof AggregateError && e.errors.length > 0) return messageOf(e.errors[0]);
  if (e instanceof Error) return e.message || String((e as { code?: unknown }).code ?? e.name);
  return String(e);
}

async function guarded<T>(label: string, what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StoreError) throw err;
    const v = violation(err);
    const code = v === undefined ? 'unavailable' : 'conflict';
    throw new StoreError(code, `store ${label}: ${what}: ${messageOf(err)}`, { cause: driverError(err) });
  }
}

/** The store with every method's failures turned into `StoreError`s that name the database and method. */
function guard<T extends object>(label: string, name: string, store: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, fn] of Object.entries(store)) {
    const method = fn as (...args: unknown[]) => Promise<unknown>;
    out[key] = (...args: unknown[]) => guarded(label, `${name}.${key}`, () => method(...args));
  }
  return out as T;
}
