/**
 * `openStore(url)`: the one way to get a `WebStore`. The URL picks the driver; the store is migrated
 * before it is returned.
 */
import { resolve } from 'node:path';
import { redactText, redactUrl } from '../../gateway/config/sources/source.ts';
import type { StoreOptions } from './drizzle.ts';
import { openMysqlStore } from './mysql.ts';
import { openPostgresStore } from './pg.ts';
import { openSqliteStore } from './sqlite.ts';
import { StoreError, type StoreDialect, type WebStore } from './types.ts';

/** Where a store URL points: the driver, what it connects to, and a label safe for logs. */
export interface StoreTarget {
  readonly dialect: StoreDialect;
  /** An absolute file path or `:memory:` for SQLite; the URL as given otherwise. */
  readonly location: string;
  /** The location without credentials, for logs, errors and the console. */
  readonly label: string;
}

export interface OpenStoreOptions extends StoreOptions {
  /** Where the default SQLite file lives (the `DATA_DIR` setting); `.data` when not given. */
  dataDir?: string;
}

/** The SQLite file in the data directory when the URL is empty. */
export const DEFAULT_SQLITE_FILE = 'admin.sqlite';

/**
 * Reads a store URL:
 * - `postgres://…` / `postgresql://…` → PostgreSQL (postgres.js; query parameters such as
 *   `sslmode=require` are passed through);
 * - `mysql://…` / `mariadb://…` → MySQL or MariaDB (mysql2);
 * - `sqlite:<path>`, `sqlite://<path>`, `file:<path>`, a bare path, or empty → a SQLite file; relative
 *   paths are relative to the working directory; empty means `<dataDir>/admin.sqlite`;
 *   `sqlite::memory:` is an in-memory database (tests).
 */
export function parseStoreUrl(url: string, dataDir = '.data'): StoreTarget {
  const trimmed = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    return { dialect: 'postgres', location: trimmed, label: labelOf(trimmed) };
  }
  if (scheme === 'mysql' || scheme === 'mariadb') {
    const location = `mysql:${trimmed.slice(scheme.length + 1)}`;
    return { dialect: 'mysql', location, label: labelOf(trimmed) };
  }
  let path = trimmed;
  if (scheme === 'sqlite' || scheme === 'file') {
    path = trimmed.slice(scheme.length + 1);
    // sqlite:///abs/x.db and file:///abs/x.db are absolute paths; sqlite://x.db is relative.
    if (path.startsWith('//')) path = path.slice(2);
    path = decodePath(path.replace(/[?#].*$/, ''));
  } else if (scheme !== undefined && scheme.length > 1 && trimmed.includes('://')) {
    // A single letter is a Windows drive (C:\x); anything else with :// is a typo, not a file name.
    const message = `unsupported scheme "${scheme}:" (use sqlite:, postgres:// or mysql://)`;
    throw new StoreError('unavailable', `store ${labelOf(trimmed)}: ${message}`);
  }
  if (path === ':memory:') return { dialect: 'sqlite', location: path, label: 'sqlite::memory:' };
  const file = path === '' ? resolve(dataDir, DEFAULT_SQLITE_FILE) : resolve(path);
  return { dialect: 'sqlite', location: file, label: `sqlite:${file}` };
}

/**
 * Opens the store the URL names (see `parseStoreUrl`) and applies its migrations. Throws `StoreError`
 * (`unavailable`) when the database cannot be opened or migrated; the message names the database
 * without credentials.
 */
export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<WebStore> {
  const target = parseStoreUrl(url, opts.dataDir);
  const options = { now: opts.now };
  let store: WebStore;
  try {
    store =
      target.dialect === 'postgres'
        ? openPostgresStore(target.location, target.label, options)
        : target.dialect === 'mysql'
          ? openMysqlStore(target.location, target.label, options)
          : openSqliteStore(target.location, options);
  } catch (err) {
    const message = redactText(err instanceof Error ? err.message : String(err), [passwordOf(url)]);
    throw new StoreError('unavailable', `store ${target.label}: ${message}`, { cause: err });
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}

/** `%20` and friends in a `file:` URL; a lone `%` is taken literally. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function labelOf(url: string): string {
  // The query may carry options with secrets (postgres.js reads `password=` there too).
  return redactText(redactUrl(url).replace(/[?#].*$/, ''), [passwordOf(url)]);
}

function passwordOf(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}
