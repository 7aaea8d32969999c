/**
 * The web store's tables for MySQL and MariaDB: `datetime(3)` times in UTC, `tinyint(1)` booleans, lists
 * and details as JSON text. Keep in step with `sqlite.ts` and `pg.ts`.
 *
 * Every string column names its character set and collation: utf8mb4 whatever the server's default is,
 * and `utf8mb4_bin` so that uniqueness and lookups compare exactly, as SQLite and PostgreSQL do (the
 * default `_ci` collations would make `Alice` and `alice` the same user here only). Indexed strings are
 * at most 191 characters, the limit for an index key on utf8mb4 with the oldest supported row formats.
 */
import { boolean, customType, datetime, index, int, mysqlTable, primaryKey } from 'drizzle-orm/mysql-core';

const UTF8 = 'CHARACTER SET utf8mb4 COLLATE utf8mb4_bin';

/** `varchar(length)` in utf8mb4 with exact comparison. */
const varchar = customType<{ data: string; driverData: string; config: { length: number }; configRequired: true }>({
  dataType: (config) => `varchar(${config.length}) ${UTF8}`,
});
/** `text` in utf8mb4 (up to 64 KiB), for values that are never indexed. */
const text = customType<{ data: string; driverData: string }>({ dataType: () => `text ${UTF8}` });
const role = customType<{ data: 'admin' | 'member'; driverData: string }>({ dataType: () => `varchar(16) ${UTF8}` });

const time = (name: string) => datetime(name, { fsp: 3, mode: 'date' });
/** Ids are UUIDs; 36 characters. */
const id = (name: string) => varchar(name, { length: 36 });

export const users = mysqlTable('users', {
  id: id('id').primaryKey(),
  username: varchar('username', { length: 191 }).notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: role('role').notNull(),
  active: boolean('active').notNull(),
  failedLogins: int('failed_logins').notNull(),
  lockedUntil: time('locked_until'),
  createdAt: time('created_at').notNull(),
  updatedAt: time('updated_at').notNull(),
});

export const tenants = mysqlTable('tenants', {
  id: id('id').primaryKey(),
  name: varchar('name', { length: 191 }).notNull().unique(),
  prefix: varchar('prefix', { length: 191 }).notNull().unique(),
  description: text('description').notNull(),
  active: boolean('active').notNull(),
  createdAt: time('created_at').notNull(),
  updatedAt: time('updated_at').notNull(),
});

export const memberships = mysqlTable(
  'memberships',
  {
    userId: id('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tenantId: id('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.tenantId] }), index('memberships_tenant_id_idx').on(t.tenantId)],
);

export const apiTokens = mysqlTable(
  'api_tokens',
  {
    id: id('id').primaryKey(),
    userId: id('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 191 }).notNull(),
    tokenHash: varchar('token_hash', { length: 191 }).notNull().unique(),
    displayPrefix: varchar('display_prefix', { length: 64 }).notNull(),
    tenantIds: text('tenant_ids').notNull(),
    createdAt: time('created_at').notNull(),
    lastUsedAt: time('last_used_at'),
    expiresAt: time('expires_at'),
    revokedAt: time('revoked_at'),
  },
  (t) => [index('api_tokens_user_id_idx').on(t.userId)],
);

export const consoleSessions = mysqlTable(
  'console_sessions',
  {
    idHash: varchar('id_hash', { length: 191 }).primaryKey(),
    userId: id('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfToken: varchar('csrf_token', { length: 191 }).notNull(),
    createdAt: time('created_at').notNull(),
    expiresAt: time('expires_at').notNull(),
    lastSeenAt: time('last_seen_at').notNull(),
  },
  (t) => [index('console_sessions_expires_at_idx').on(t.expiresAt), index('console_sessions_user_id_idx').on(t.userId)],
);

export const auditLog = mysqlTable(
  'audit_log',
  {
    id: id('id').primaryKey(),
    at: time('at').notNull(),
    actor: varchar('actor', { length: 255 }).notNull(),
    action: varchar('action', { length: 128 }).notNull(),
    target: varchar('target', { length: 255 }).notNull(),
    tenantId: id('tenant_id'),
    details: text('details').notNull(),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_tenant_id_idx').on(t.tenantId)],
);
