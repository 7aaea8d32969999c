/** The PostgreSQL driver: a postgres.js pool. */
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { createStore, type Db, type StoreOptions, type Tables } from './drizzle.ts';
import * as tables from './schema/pg.ts';
import type { WebStore } from './types.ts';

const MIGRATIONS = join(import.meta.dir, 'migrations', 'pg');

/**
 * Opens a pool on `url` (`postgres://user:password@host:5432/db?sslmode=require`); it connects on the
 * first query. `label` names the database in errors without credentials.
 */
export function openPostgresStore(url: string, label: string, options: StoreOptions = {}): WebStore {
  const client = postgres(url, {
    max: 10,
    connect_timeout: 10,
    idle_timeout: 60,
    // The migrator's "already exists, skipping" notices are not news.
    onnotice: () => {},
  });
  const db = drizzle({ client });
  return createStore(
    {
      name: 'postgres',
      label,
      db: db as unknown as Db,
      tables: tables as unknown as Tables,
      affected: (result) => (result as { count: number }).count,
      async atomic(build) {
        await db.transaction(async (tx) => {
          for (const query of build(tx as unknown as Db)) await query;
        });
      },
      async migrate() {
        await migrate(db, { migrationsFolder: MIGRATIONS });
      },
      async close() {
        await client.end({ timeout: 5 });
      },
    },
    options,
  );
}
