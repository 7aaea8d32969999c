/**
 * The store contract on every backend: SQLite in temp files, PostgreSQL from TEST_POSTGRES_URL and
 * MariaDB/MySQL from TEST_MYSQL_URL. Each server run gets its own database, dropped at the end, so runs
 * never collide. Under CI=true a server that is not configured or not reachable fails its suite;
 * elsewhere the suite is reported as skipped, with the reason.
 */
import { Database } from 'bun:sqlite';
import { afterAll, describe, expect, it } from 'bun:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import postgres from 'postgres';
import { runStoreContract } from './contract.ts';
import { DEFAULT_SQLITE_FILE, openStore, parseStoreUrl } from './open.ts';
import { StoreError } from './types.ts';

const CI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

const tmp = mkdtempSync(join(tmpdir(), 'store-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ---- SQLite ----

let files = 0;
runStoreContract('sqlite', ({ now }) => openStore(join(tmp, `contract-${++files}.sqlite`), { now }));

describe('sqlite store', () => {
  it('keeps the data when the file is opened again', async () => {
    const file = join(tmp, 'reopen.sqlite');
    const first = await openStore(`sqlite:${file}`);
    const user = await first.users.create({ username: 'alice', passwordHash: 'h', role: 'admin' });
    const tenant = await first.tenants.create({ name: 'acme', prefix: '/acme' });
    await first.memberships.add(user.id, tenant.id);
    await first.close();

    const second = await openStore(`sqlite:${file}`);
    expect(await second.users.get(user.id)).toEqual(user);
    expect(await second.memberships.tenantsOf(user.id)).toEqual([tenant]);
    await second.close();
  });

  it('creates admin.sqlite in the data directory when the URL is empty, in WAL mode', async () => {
    const dataDir = join(tmp, 'data', 'nested');
    const store = await openStore('', { dataDir });
    expect(store.dialect).toBe('sqlite');
    await store.users.create({ username: 'alice', passwordHash: 'h', role: 'admin' });
    await store.close();
    const file = join(dataDir, DEFAULT_SQLITE_FILE);
    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.query('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    db.close();
  });

  it('opens an in-memory database for sqlite::memory:', async () => {
    const store = await openStore('sqlite::memory:');
    expect(await store.users.count()).toBe(0);
    await store.close();
  });

  it('throws unavailable naming the file when it cannot be opened', async () => {
    const err = await openStore(join(tmp, 'reopen.sqlite', 'not-a-dir', 'x.sqlite')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('unavailable');
    expect((err as StoreError).message).toContain('x.sqlite');
  });
});

describe('parseStoreUrl', () => {
  const cases: [string, string, string][] = [
    ['', 'sqlite', '/data/admin.sqlite'],
    ['sqlite:', 'sqlite', '/data/admin.sqlite'],
    ['sqlite:///var/lib/admin.db', 'sqlite', '/var/lib/admin.db'],
    ['sqlite:/var/lib/admin.db', 'sqlite', '/var/lib/admin.db'],
    ['file:///var/lib/admin.db', 'sqlite', '/var/lib/admin.db'],
    ['/var/lib/admin.db', 'sqlite', '/var/lib/admin.db'],
    ['sqlite::memory:', 'sqlite', ':memory:'],
    ['postgres://u:pw@db:5432/admin', 'postgres', 'postgres://u:pw@db:5432/admin'],
    ['postgresql://db/admin', 'postgres', 'postgresql://db/admin'],
    ['mysql://u@db:3306/admin', 'mysql', 'mysql://u@db:3306/admin'],
    ['mariadb://u@db/admin', 'mysql', 'mysql://u@db/admin'],
  ];
  for (const [url, dialect, location] of cases) {
    it(`reads "${url}" as ${dialect} ${location}`, () => {
      expect(parseStoreUrl(url, '/data')).toMatchObject({ dialect, location });
    });
  }

  it('resolves relative SQLite paths against the working directory', () => {
    expect(parseStoreUrl('sqlite:rel/admin.db').location).toBe(join(process.cwd(), 'rel/admin.db'));
    expect(parseStoreUrl('rel/admin.db').location).toBe(join(process.cwd(), 'rel/admin.db'));
  });

  it('labels server URLs without credentials or query', () => {
    expect(parseStoreUrl('postgres://admin:s3cret-pw@db:5432/admin?password=s3cret-pw').label).toBe('postgres://db:5432/admin');
    expect(parseStoreUrl('mariadb://admin:s3cret-pw@db/admin').label).toBe('mariadb://db/admin');
  });

  it('rejects unknown schemes', () => {
    expect(() => parseStoreUrl('redis://localhost:6379')).toThrow(StoreError);
  });
});

describe('openStore on a server that refuses', () => {
  for (const url of ['postgres://admin:s3cret-pw@127.0.0.1:1/admin', 'mysql://admin:s3cret-pw@127.0.0.1:1/admin']) {
    it(`throws unavailable without the password for ${url.split(':')[0]}`, async () => {
      const err = await openStore(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('unavailable');
      expect((err as StoreError).message).toContain('127.0.0.1:1');
      expect((err as StoreError).message).toMatch(/ECONNREFUSED/);
      expect((err as StoreError).message).not.toContain('s3cret-pw');
    });
  }
});

// ---- Servers ----

/** A database made for this run on a test server. */
interface RunDatabase {
  readonly url: string;
  /** Empties every table (between tests). */
  wipe(): Promise<void>;
  drop(): Promise<void>;
}

const runName = () => `store_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
// Children before parents; deleting users and tenants would cascade, audit_log has no parent.
const TABLES = ['audit_log', 'console_sessions', 'api_tokens', 'memberships', 'users', 'tenants'];

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function postgresDatabase(serverUrl: string): Promise<RunDatabase> {
  const admin = postgres(serverUrl, { max: 1, connect_timeout: 5, onnotice: () => {} });
  const name = runName();
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } catch (err) {
    await admin.end({ timeout: 1 });
    throw err;
  }
  const url = withDatabase(serverUrl, name);
  const run = postgres(url, { max: 1, onnotice: () => {} });
  return {
    url,
    wipe: async () => {
      await run.unsafe(TABLES.map((t) => `DELETE FROM "${t}"`).join('; '));
    },
    drop: async () => {
      await run.end({ timeout: 5 });
      await admin.unsafe(`DROP DATABASE IF EXISTS "${name}"`);
      await admin.end({ timeout: 5 });
    },
  };
}

async function mysqlDatabase(serverUrl: string): Promise<RunDatabase> {
  const u = new URL(serverUrl);
  const options = {
    host: u.hostname,
    port: u.port === '' ? 3306 : Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    connectTimeout: 5000,
  };
  const admin = await mysql.createConnection(options);
  const name = runName();
  try {
    // latin1 with a case-insensitive collation: the schema must not depend on the server's defaults.
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET latin1 COLLATE latin1_swedish_ci`);
  } catch (err) {
    await admin.end();
    throw err;
  }
  let run: mysql.Connection | undefined;
  return {
    url: withDatabase(serverUrl, name),
    wipe: async () => {
      run ??= await mysql.createConnection({ ...options, database: name });
      for (const t of TABLES) await run.query(`DELETE FROM \`${t}\``);
    },
    drop: async () => {
      await run?.end();
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}

/** Runs the contract on a server, or reports why not: a failure under CI, a skip elsewhere. */
async function serverSuite(name: string, envVar: string, create: (url: string) => Promise<RunDatabase>): Promise<void> {
  const serverUrl = process.env[envVar];
  let database: RunDatabase | undefined;
  let reason = `${envVar} is not set`;
  if (serverUrl) {
    try {
      database = await create(serverUrl);
    } catch (err) {
      reason = `${parseStoreUrl(serverUrl).label} is not reachable: ${err instanceof Error ? err.message || err.name : String(err)}`;
    }
  }
  if (database) {
    const db = database;
    afterAll(() => db.drop());
    runStoreContract(name, async ({ now }) => {
      const store = await openStore(db.url, { now });
      await db.wipe();
      return store;
    });
    return;
  }
  if (CI) {
    describe(`WebStore contract (${name})`, () => {
      it(`runs on ${envVar} (required under CI=true)`, () => {
        throw new Error(`${name}: ${reason}`);
      });
    });
    return;
  }
  console.warn(`[skip] WebStore contract (${name}): ${reason}`);
  describe.skip(`WebStore contract (${name}) skipped: ${reason}`, () => {
    it('runs the contract', () => {});
  });
}

await serverSuite('postgres', 'TEST_POSTGRES_URL', postgresDatabase);
await serverSuite('mysql', 'TEST_MYSQL_URL', mysqlDatabase);
