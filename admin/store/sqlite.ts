/**
 * The SQLite driver: one `bun:sqlite` connection in WAL mode with foreign keys on (SQLite enforces them
 * per connection, and the cascades depend on it). bun:sqlite is synchronous, so a query runs when it is
 * awaited and concurrent callers never interleave inside one statement.
 */
import { type Changes, Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { drizzle } from 'drizzle-orm/bun-sqlite';
import { migrate } from 'drizzle-orm/bun-sqlite/migrator';
import { createStore, type Db, type StoreOptions } from './drizzle.ts';
import * as tables from './schema/sqlite.ts';
import type { WebStore } from './types.ts';

const MIGRATIONS = join(import.meta.dir, 'migrations', 'sqlite');

/** How long a write waits for another process's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Opens (creating if needed) the SQLite database at `path`, or an in-memory one for `:memory:`. */
export function openSqliteStore(path: string, options: StoreOptions = {}): WebStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const client = new Database(path, { create: true, readwrite: true });
  try {
    client.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    client.exec('PRAGMA journal_mode = WAL');
    client.exec('PRAGMA synchronous = NORMAL');
    client.exec('PRAGMA foreign_keys = ON');
  } catch (err) {
    client.close();
    throw err;
  }
  const db = drizzle({ client });
  return createStore(
    {
      name: 'sqlite',
      label: `sqlite:${path}`,
      db: db as unknown as Db,
      tables,
      affected: (result) => (result as Changes).changes,
      async atomic(build) {
        // drizzle's bun:sqlite transactions are synchronous: each query is run, not awaited, inside it.
        db.transaction((tx) => {
          for (const query of build(tx as unknown as Db)) (query as unknown as { run(): unknown }).run();
        });
      },
      async migrate() {
        migrate(db, { migrationsFolder: MIGRATIONS });
      },
      async close() {
        client.close();
      },
    },
    options,
  );
}
