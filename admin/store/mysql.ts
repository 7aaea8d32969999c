/** The MySQL / MariaDB driver: a mysql2 pool. */
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql, { type ResultSetHeader } from 'mysql2/promise';
import { createStore, type Db, type StoreOptions, type Tables } from './drizzle.ts';
import * as tables from './schema/mysql.ts';
import type { WebStore } from './types.ts';

const MIGRATIONS = join(import.meta.dir, 'migrations', 'mysql');

/**
 * Opens a pool on `url` (`mysql://user:password@host:3306/db`, also `mariadb://`); it connects on the
 * first query. `label` names the database in errors without credentials.
 */
export function openMysqlStore(url: string, label: string, options: StoreOptions = {}): WebStore {
  const u = new URL(url);
  const pool = mysql.createPool({
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? 3306 : Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.slice(1)),
    connectionLimit: 10,
    connectTimeout: 10_000,
    // drizzle reads datetime columns as strings and treats them as UTC; the session zone is not used.
    timezone: 'Z',
  });
  const db = drizzle({ client: pool });
  return createStore(
    {
      name: 'mysql',
      label,
      db: db as unknown as Db,
      tables: tables as unknown as Tables,
      // mysql2 reports matched rows (it sets CLIENT_FOUND_ROWS), like the other dialects.
      affected: (result) => (result as [ResultSetHeader])[0].affectedRows,
      async atomic(build) {
        await db.transaction(async (tx) => {
          for (const query of build(tx as unknown as Db)) await query;
        });
      },
      async migrate() {
        await migrate(db, { migrationsFolder: MIGRATIONS });
      },
      async close() {
        await pool.end();
      },
    },
    options,
  );
}
