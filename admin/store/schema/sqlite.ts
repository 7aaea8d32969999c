/**
 * The web store's tables for SQLite. Times are integer milliseconds since the epoch (`timestamp_ms`),
 * booleans are 0/1 integers, lists and details are JSON text. Keep the three dialect schemas in step:
 * `admin/store/drizzle.ts` checks at compile time that their rows have the same shape.
 */
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const time = (name: string) => integer(name, { mode: 'timestamp_ms' });
const flag = (name: string) => integer(name, { mode: 'boolean' });

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  username: text('username').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ['admin', 'member'] }).notNull(),
  active: flag('active').notNull(),
  failedLogins: integer('failed_logins').notNull(),
  lockedUntil: time('locked_until'),
  createdAt: time('created_at').notNull(),
  updatedAt: time('updated_at').notNull(),
});

export const tenants = sqliteTable('tenants', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  prefix: text('prefix').notNull().unique(),
  description: text('description').notNull(),
  active: flag('active').notNull(),
  createdAt: time('created_at').notNull(),
  updatedAt: time('updated_at').notNull(),
});

export const memberships = sqliteTable(
  'memberships',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.tenantId] }), index('memberships_tenant_id_idx').on(t.tenantId)],
);

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    displayPrefix: text('display_prefix').notNull(),
    tenantIds: text('tenant_ids').notNull(),
    createdAt: time('created_at').notNull(),
    lastUsedAt: time('last_used_at'),
    expiresAt: time('expires_at'),
    revokedAt: time('revoked_at'),
  },
  (t) => [index('api_tokens_user_id_idx').on(t.userId)],
);

export const consoleSessions = sqliteTable(
  'console_sessions',
  {
    idHash: text('id_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    csrfToken: text('csrf_token').notNull(),
    createdAt: time('created_at').notNull(),
    expiresAt: time('expires_at').notNull(),
    lastSeenAt: time('last_seen_at').notNull(),
  },
  (t) => [index('console_sessions_expires_at_idx').on(t.expiresAt), index('console_sessions_user_id_idx').on(t.userId)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    at: time('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target').notNull(),
    tenantId: text('tenant_id'),
    details: text('details').notNull(),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_tenant_id_idx').on(t.tenantId)],
);
