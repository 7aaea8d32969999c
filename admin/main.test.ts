import { afterAll, describe, expect, it } from 'bun:test';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(import.meta.dir, 'main.ts');
const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

interface Started {
  proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
  url: string;
  /** Everything written so far (stdout and stderr). */
  output: () => string;
}

/** Starts `bun admin/main.ts` as a real process and waits for its "listening on" line. */
async function start(dataDir: string, env: Record<string, string> = {}): Promise<Started> {
  const proc = Bun.spawn([process.execPath, MAIN, '--port', '0', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let text = '';
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const m = /listening on (http:\/\/\S+)/.exec(text);
    if (m?.[1]) return { proc, url: m[1], output: () => text };
    if (proc.exitCode !== null) break;
    await Bun.sleep(20);
  }
  proc.kill('SIGKILL');
  throw new Error(`admin did not start:\n${text}`);
}

async function stop(s: Started): Promise<number> {
  s.proc.kill('SIGTERM');
  return s.proc.exited;
}

async function login(url: string, username: string, password: string): Promise<{ status: number; cookie: string; csrf: string }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: url },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { csrfToken?: string };
  return { status: res.status, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: body.csrfToken ?? '' };
}

describe('admin process', () => {
  it('creates the schema and the admin on an empty data dir, prints the password once, and keeps everything on restart', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'mcp-admin-main-')), 'data');
    temps.push(dataDir);

    const first = await start(dataDir);
    expect(existsSync(join(dataDir, 'admin.sqlite'))).toBe(true);
    const password = /generated password:\s+(\S+)/.exec(first.output())?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const session = await login(first.url, 'admin', password ?? '');
    expect(session.status).toBe(200);
    const tenant = await fetch(`${first.url}/api/tenants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf, origin: first.url },
      body: JSON.stringify({ name: 'acme', prefix: '/acme' }),
    });
    expect(tenant.status).toBe(201);
    expect(await stop(first)).toBe(0);
    // Printed exactly once: in the creation message, nowhere else (e.g. not in the settings line).
    expect(first.output().split(password ?? '').length - 1).toBe(1);

    const second = await start(dataDir);
    expect(second.output()).not.toContain('generated password');
    expect(second.output()).not.toContain(password ?? '');
    const again = await login(second.url, 'admin', password ?? '');
    expect(again.status).toBe(200);
    const tenants = (await (await fetch(`${second.url}/api/tenants`, { headers: { cookie: again.cookie } })).json()) as { name: string }[];
    expect(tenants.map((x) => x.name)).toEqual(['acme']);
    expect(await stop(second)).toBe(0);
  }, 60_000);

  it('uses ADMIN_BOOTSTRAP_PASSWORD and never prints it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mcp-admin-main-'));
    temps.push(dataDir);
    const s = await start(dataDir, { ADMIN_BOOTSTRAP_USER: 'root', ADMIN_BOOTSTRAP_PASSWORD: 'configured-password' });
    expect(s.output()).toContain('created the admin user "root" with the password from ADMIN_BOOTSTRAP_PASSWORD');
    expect(s.output()).not.toContain('configured-password');
    expect((await login(s.url, 'root', 'configured-password')).status).toBe(200);
    expect(await stop(s)).toBe(0);
  }, 60_000);

  it('refuses to start on bad settings, naming them', async () => {
    const proc = Bun.spawn([process.execPath, MAIN, '--port', 'nope'], { stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '' } });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain('settings: --port: must be an integer');
  });
});
