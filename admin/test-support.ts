/**
 * Test helpers for the admin: a real SQLite store in a temp dir, the app in-process, an injected
 * clock, and request helpers that sign in and carry the session cookie and CSRF token like the console.
 * Not a test file itself (no `.test.ts`), imported by the module tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapAdmin } from './modules/users/service.ts';
import { type AdminApp, createAdminApp } from './server.ts';
import { type AdminSettings, defaultSettings } from './settings.ts';
import { openStore } from './store/open.ts';
import type { WebStore } from './store/types.ts';
import type { ConfigRepo } from './git/repo.ts';

export const ORIGIN = 'http://admin.test';
export const ADMIN_PASSWORD = 'admin-password-1';

/** A clock tests move by hand. */
export class Clock {
  constructor(public ms = Date.parse('2026-01-01T00:00:00Z')) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** What a signed-in console (or a token holder) sends. */
export interface Caller {
  cookie?: string;
  csrf?: string;
  token?: string;
}

export interface Harness {
  app: AdminApp;
  store: WebStore;
  clock: Clock;
  settings: AdminSettings;
  dir: string;
  /** The bootstrap admin, signed in. */
  admin: Caller;
  request(method: string, path: string, opts?: { as?: Caller; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  /** `request` + JSON body; returns status and parsed body. */
  call<T = any>(method: string, path: string, opts?: { as?: Caller; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T; res: Response }>;
  login(username: string, password: string): Promise<Caller>;
  /** Creates a user through the API as the admin (optionally in tenants) and signs it in. */
  member(username: string, tenantIds?: string[], role?: 'admin' | 'member'): Promise<Caller & { id: string }>;
  tenant(name: string, prefix?: string): Promise<{ id: string; name: string; prefix: string }>;
  close(): Promise<void>;
}

export async function harness(opts: { settings?: Partial<AdminSettings>; fetch?: typeof fetch; repo?: ConfigRepo } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-admin-'));
  const clock = new Clock();
  const store = await openStore(`sqlite:${join(dir, 'admin.sqlite')}`, { now: clock.now });
  const settings: AdminSettings = { ...defaultSettings(), publicOrigin: ORIGIN, bootstrapPassword: ADMIN_PASSWORD, ...opts.settings };
  await bootstrapAdmin(store, settings, clock.now);
  const app = createAdminApp({ store, settings, now: clock.now, ...(opts.fetch ? { fetch: opts.fetch } : {}), ...(opts.repo ? { repo: opts.repo } : {}) });

  const request: Harness['request'] = (method, path, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.as?.cookie) headers.cookie = o.as.cookie;
    if (o.as?.csrf && !['GET', 'HEAD'].includes(method)) headers['x-csrf-token'] = o.as.csrf;
    if (o.as?.token) headers.authorization = `Bearer ${o.as.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
      headers['content-type'] ??= 'application/json';
    }
    return app.handle(new Request(`${ORIGIN}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
  };
  const call: Harness['call'] = async (method, path, o) => {
    const res = await request(method, path, o);
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text), res };
  };
  const login: Harness['login'] = async (username, password) => {
    const res = await request('POST', '/api/auth/login', { body: { username, password } });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
    const set = res.headers.get('set-cookie') ?? '';
    const body = (await res.json()) as { csrfToken: string };
    return { cookie: set.split(';')[0] ?? '', csrf: body.csrfToken };
  };
  const admin = await login(settings.bootstrapUser, ADMIN_PASSWORD);
  const h: Harness = {
    app,
    store,
    clock,
    settings,
    dir,
    admin,
    request,
    call,
    login,
    async member(username, tenantIds = [], role = 'member') {
      const password = `${username}-password`;
      const r = await call('POST', '/api/users', { as: admin, body: { username, password, role, tenantIds } });
      if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${JSON.stringify(r.body)}`);
      return { ...(await login(username, password)), id: r.body.id as string };
    },
    async tenant(name, prefix = `/${name}`) {
      const r = await call('POST', '/api/tenants', { as: admin, body: { name, prefix } });
      if (r.status !== 201) throw new Error(`create tenant ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body as { id: string; name: string; prefix: string };
    },
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}
