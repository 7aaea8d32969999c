/**
 * The embedded default's wiring, as real processes: the admin opens its clone of the config repo named
 * by ADMIN_CONFIG_REPO (a bare repo seeded like `bun run start` seeds `.data/config.git`), and refuses
 * to start, naming the repo without its credentials, when that repo cannot be opened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureConfigRepo } from '../scripts/embedded.ts';

const ROOT = join(import.meta.dir, '..');
const PASSWORD = 'start-e2e-password';

interface Run {
  proc: Bun.Subprocess<'ignore', 'pipe', 'pipe'>;
  output: () => string;
}

function startAdmin(dataDir: string, configRepo: string): Run {
  const proc = Bun.spawn([process.execPath, 'admin/main.ts', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ADMIN_BOOTSTRAP_PASSWORD: PASSWORD, ADMIN_CONFIG_REPO: configRepo },
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
  return { proc, output: () => text };
}

async function listening(run: Run, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const m = /listening on (http:\/\/\S+)/.exec(run.output());
    if (m?.[1]) return m[1];
    if (run.proc.exitCode !== null) break;
    await Bun.sleep(20);
  }
  run.proc.kill('SIGKILL');
  throw new Error(`admin did not start:\n${run.output()}`);
}

describe('embedded default: admin and config repo', () => {
  let dir: string;
  const runs: Run[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'start-e2e-'));
  });

  afterAll(async () => {
    for (const run of runs) {
      run.proc.kill('SIGKILL');
      await run.proc.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('opens its own clone of the seeded repo and shows its configs in the console', async () => {
    const { path: repo } = await ensureConfigRepo({ path: join(dir, 'data', 'config.git') });
    const run = startAdmin(join(dir, 'data'), repo);
    runs.push(run);
    const url = await listening(run);
    expect(run.output()).toContain(`admin: config repo ${repo} (branch main)`);
    expect(await readdir(join(dir, 'data', 'config-clone'))).toHaveLength(1);

    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const page = await fetch(`${url}/configs`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const config of ['acme/upstreams', 'acme/weather', 'demo/media', 'demo/users']) expect(html).toContain(`href="/configs/${config}"`);

    run.proc.kill('SIGTERM');
    expect(await run.proc.exited).toBe(0);
  });

  it('refuses to start with exit code 1, naming the repo without its credentials, when the repo cannot be opened', async () => {
    const run = startAdmin(join(dir, 'bad'), 'https://deploy:s3cret-token@127.0.0.1:1/configs.git');
    runs.push(run);
    const deadline = Date.now() + 15_000;
    while (run.proc.exitCode === null && Date.now() < deadline) await Bun.sleep(20);
    expect(await run.proc.exited).toBe(1);
    await Bun.sleep(50); // the last of the pipes
    const output = run.output();
    expect(output).toMatch(/admin: cannot open the config repo https:\/\/(deploy@)?127\.0\.0\.1:1\/configs\.git: \S/);
    expect(output).not.toContain('s3cret-token');
    expect(output).not.toContain('listening on');
    // Nothing was set up: the generated password of the bootstrap admin is still to be shown.
    expect(output).not.toContain('created the admin user');
  });
});
