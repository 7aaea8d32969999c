/**
 * GitOps end to end: a real bare repository in a temp dir, a work clone that pushes commits, a gateway
 * following the bare repo's `main`, signed webhooks, and the official SDK client watching its tools.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createHmac } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { type DemoBackend, startDemoBackend } from '../demo/backend.ts';
import { loadSettings } from '../gateway/config/settings.ts';
import { type RunningGateway, startGateway } from '../gateway/gateway.ts';
import { createLogger } from '../gateway/obs/log.ts';

const SECRET = 'reload-test-secret';
const PREFIX = '/ops/app';
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'ops',
  GIT_AUTHOR_EMAIL: 'ops@example.test',
  GIT_COMMITTER_NAME: 'ops',
  GIT_COMMITTER_EMAIL: 'ops@example.test',
};

function git(cwd: string, ...args: string[]): string {
  const r = Bun.spawnSync(['git', ...args], { cwd, env: GIT_ENV, stdout: 'pipe', stderr: 'pipe' });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

/** A config document whose tool list is `tools` (each a GET of /users/1 named as given). */
function configYaml(tools: string[], description = 'Fetch a user'): string {
  const lines = [
    'name: app',
    'tenant: ops',
    'routers:',
    `  - server: api`,
    `    prefix: ${PREFIX}`,
    'servers:',
    '  - name: api',
    `    allowedTools: [${tools.join(', ')}]`,
    '    config:',
    `      base: '{{ env "RELOAD_BACKEND_URL" }}'`,
    'tools:',
  ];
  for (const name of tools) {
    lines.push(`  - name: ${name}`, `    description: ${description}`, '    method: GET', '    endpoint: "{{ .Config.base }}/users/1"');
  }
  return `${lines.join('\n')}\n`;
}

const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

describe('gitops reload', () => {
  let dir: string;
  let work: string;
  let backend: DemoBackend;
  let gateway: RunningGateway;
  let client: Client;
  const toolsChanged: number[] = [];

  const push = async (file: string, text: string, message: string, branch = 'main') => {
    await mkdir(join(work, 'configs', 'ops'), { recursive: true });
    await writeFile(join(work, file), text);
    git(work, 'add', '-A');
    git(work, 'commit', '-qm', message);
    git(work, 'push', '-q', 'origin', `HEAD:${branch}`);
    return git(work, 'rev-parse', 'HEAD');
  };
  const webhook = (body: string, headers: Record<string, string>, query = '') =>
    fetch(`${gateway.url}/_reload${query}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const toolNames = async () => (await client.listTools()).tools.map((t) => t.name).sort();

  beforeAll(async () => {
    backend = startDemoBackend({ port: 0 });
    dir = await mkdtemp(join(tmpdir(), 'gitops-'));
    const origin = join(dir, 'origin.git');
    git(dir, 'init', '-q', '--bare', '-b', 'main', origin);
    work = join(dir, 'work');
    git(dir, 'clone', '-q', origin, work);
    git(work, 'checkout', '-q', '-b', 'main');
    await push('configs/ops/app.yaml', configYaml(['get_user']), 'add get_user');

    const { settings, issues } = loadSettings({
      argv: [
        '--config', `file://${origin}`,
        '--branch', 'main',
        '--data-dir', join(dir, 'data'),
        '--port', '0',
        '--allowed-networks', '127.0.0.1/32',
        '--env-allowlist', 'RELOAD_BACKEND_URL',
        '--webhook-secret', SECRET,
        '--poll-interval', '0',
        '--log-level', 'error',
      ],
      env: {},
    });
    expect(issues).toEqual([]);
    gateway = await startGateway(settings, {
      env: { ...process.env, RELOAD_BACKEND_URL: backend.url },
      logger: createLogger('error'),
    });
    client = new Client({ name: 'reload-test', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      toolsChanged.push(Date.now());
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}${PREFIX}/mcp`)));
  });

  afterAll(async () => {
    await client?.close();
    await gateway?.stop(2000);
    await backend?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the revision of main named <branch>@sha1:<hex> when it starts', async () => {
    const head = git(work, 'rev-parse', 'HEAD');
    const status = (await (await fetch(`${gateway.url}/_status`)).json()) as Record<string, unknown>;
    expect(status.lastAppliedRevision).toBe(`main@sha1:${head}`);
    expect(await toolNames()).toEqual(['get_user']);
    const health = (await (await fetch(`${gateway.url}/health_check`)).json()) as { revision: string };
    expect(health.revision).toBe(`main@sha1:${head}`);
  });

  it('lists a pushed tool within 1 s of a signed webhook and notifies the connected client', async () => {
    const notified = toolsChanged.length;
    await push('configs/ops/app.yaml', configYaml(['get_user', 'get_admin']), 'add get_admin');
    const started = Date.now();
    const res = await webhook('{"reason":"test"}', { 'x-signature-256': sign('{"reason":"test"}') });
    expect(res.status).toBe(202);
    await waitFor('new tool listed', async () => (await toolNames()).includes('get_admin'), 1000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1000);
    await waitFor('tools/list_changed notification', () => toolsChanged.length > notified, 1000);
  });

  it('keeps serving the old tools and reports file and line when a pushed revision is invalid', async () => {
    const bad = configYaml(['get_user', 'get_admin']).replace('    method: GET\n', '    method: GET\n    colour: red\n');
    const sha = await push('configs/ops/app.yaml', bad, 'break the config');
    const res = await webhook('', { 'x-signature-256': sign('') }, '?wait=1');
    expect(res.status).toBe(200);
    const result = (await res.json()) as { outcome: string; issues: string[] };
    expect(result.outcome).toBe('invalid');
    expect(result.issues.join('\n')).toMatch(/^configs\/ops\/app\.yaml:\d+:\d+: tools\[0\]: unknown key "colour"/m);

    const status = (await (await fetch(`${gateway.url}/_status`)).json()) as {
      ready: { status: string; reason: string; issues: string[] };
      lastAttemptedRevision: string;
      lastAppliedRevision: string;
    };
    expect(status.ready.status).toBe('False');
    expect(status.ready.reason).toBe('ValidationFailed');
    expect(status.ready.issues[0]).toMatch(/^configs\/ops\/app\.yaml:15:5: /);
    expect(status.lastAttemptedRevision).toBe(`main@sha1:${sha}`);
    expect(status.lastAppliedRevision).not.toBe(`main@sha1:${sha}`);
    expect(await toolNames()).toEqual(['get_admin', 'get_user']);
    const call = await client.callTool({ name: 'get_user', arguments: {} });
    expect(call.isError).toBeFalsy();
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/^config_synchronized 0$/m);
  });

  it('recovers when a fixed revision is pushed', async () => {
    const sha = await push('configs/ops/app.yaml', configYaml(['get_user', 'get_admin', 'get_root']), 'fix the config');
    const res = await webhook('', { 'x-signature-256': sign('') }, '?wait=1');
    expect(((await res.json()) as { outcome: string }).outcome).toBe('applied');
    const status = (await (await fetch(`${gateway.url}/_status`)).json()) as { ready: { status: string }; lastAppliedRevision: string };
    expect(status.ready.status).toBe('True');
    expect(status.lastAppliedRevision).toBe(`main@sha1:${sha}`);
    expect(await toolNames()).toEqual(['get_admin', 'get_root', 'get_user']);
    expect(await (await fetch(`${gateway.url}/metrics`)).text()).toMatch(/^config_synchronized 1$/m);
  });

  it('refuses a webhook with a bad or missing signature with 401', async () => {
    const body = '{"ref":"refs/heads/main"}';
    expect((await webhook(body, {})).status).toBe(401);
    expect((await webhook(body, { 'x-signature-256': `sha256=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await webhook(body, { 'x-hub-signature-256': sign(`${body} `), 'x-github-event': 'push' })).status).toBe(401);
  });

  it('accepts a GitHub-format signed push to main and ignores a push to another branch', async () => {
    const before = gateway.reconciler.status().reloads;
    const total = (r: typeof before) => r.applied + r.unchanged + r.invalid + r.failed;
    const countBefore = total(before);

    await push('configs/ops/app.yaml', configYaml(['get_user', 'get_admin', 'get_root', 'get_other']), 'on another branch', 'feature');
    const other = JSON.stringify({ ref: 'refs/heads/feature', after: 'x' });
    const ignored = await webhook(other, { 'x-hub-signature-256': sign(other), 'x-github-event': 'push' });
    expect(ignored.status).toBe(200);
    expect(((await ignored.json()) as { triggered: boolean }).triggered).toBe(false);
    expect(total(gateway.reconciler.status().reloads)).toBe(countBefore);
    expect(await toolNames()).not.toContain('get_other');

    // The same commit pushed to main, announced in GitHub's format.
    git(work, 'push', '-q', 'origin', 'HEAD:main');
    const payload = JSON.stringify({ ref: 'refs/heads/main', after: git(work, 'rev-parse', 'HEAD') });
    const accepted = await webhook(payload, { 'x-hub-signature-256': sign(payload), 'x-github-event': 'push' });
    expect(accepted.status).toBe(202);
    await waitFor('tool from main listed', async () => (await toolNames()).includes('get_other'), 1000);
  });

  it('coalesces 10 triggers within 100 ms into at most 2 reloads', async () => {
    await push('configs/ops/app.yaml', configYaml(['get_user', 'get_admin'], 'Burst'), 'burst');
    const total = () => {
      const r = gateway.reconciler.status().reloads;
      return r.applied + r.unchanged + r.invalid + r.failed;
    };
    const before = total();
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        await Bun.sleep(i * 10);
        return gateway.reload(`burst ${i}`);
      }),
    );
    expect(results.some((r) => r.outcome === 'applied')).toBe(true);
    expect(total() - before).toBeLessThanOrEqual(2);
  });

  it('finishes a tools/call load loop across 20 reloads with zero failed calls', async () => {
    let stop = false;
    let calls = 0;
    const failures: string[] = [];
    const loop = async () => {
      while (!stop) {
        try {
          const r = await client.callTool({ name: 'get_user', arguments: {} });
          if (r.isError) failures.push(JSON.stringify(r.content));
        } catch (err) {
          failures.push(String(err));
        }
        calls++;
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    for (let i = 0; i < 20; i++) {
      await push('configs/ops/app.yaml', configYaml(['get_user', 'get_admin'], `Revision ${i}`), `reload ${i}`);
      const r = await gateway.reload(`load test ${i}`);
      expect(r.outcome).toBe('applied');
    }
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(20);
  }, 60_000);

  it('ends sessions of a removed prefix: their next request gets 404', async () => {
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId;
    expect(sessionId).toBeTruthy();
    await push('configs/ops/app.yaml', configYaml(['get_user']).replace(`prefix: ${PREFIX}`, 'prefix: /ops/moved'), 'move the router');
    expect((await gateway.reload('move')).outcome).toBe('applied');
    const res = await fetch(`${gateway.url}${PREFIX}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId ?? '' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    await res.body?.cancel();
  });
});

describe('gitops reload from the command line', () => {
  it('reloads a running gateway process on `gateway reload` (SIGHUP through the PID file)', async () => {
    const backend = startDemoBackend({ port: 0 });
    const dir = await mkdtemp(join(tmpdir(), 'gitops-cli-'));
    const origin = join(dir, 'origin.git');
    git(dir, 'init', '-q', '--bare', '-b', 'main', origin);
    const work = join(dir, 'work');
    git(dir, 'clone', '-q', origin, work);
    git(work, 'checkout', '-q', '-b', 'main');
    const commit = async (tools: string[]) => {
      await mkdir(join(work, 'configs', 'ops'), { recursive: true });
      await writeFile(join(work, 'configs', 'ops', 'app.yaml'), configYaml(tools));
      git(work, 'add', '-A');
      git(work, 'commit', '-qm', tools.join(' '));
      git(work, 'push', '-q', 'origin', 'HEAD:main');
    };
    await commit(['get_user']);
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() });
    const port = probe.port;
    probe.stop(true);
    const data = join(dir, 'data');
    const root = join(import.meta.dir, '..');
    const args = ['--config', `file://${origin}`, '--data-dir', data, '--poll-interval', '0'];
    const proc = Bun.spawn(
      [process.execPath, 'gateway/main.ts', ...args, '--port', String(port), '--allowed-networks', '127.0.0.1/32', '--env-allowlist', 'RELOAD_BACKEND_URL', '--log-level', 'warn'],
      { cwd: root, env: { ...GIT_ENV, RELOAD_BACKEND_URL: backend.url }, stdout: 'ignore', stderr: 'ignore' },
    );
    const base = `http://127.0.0.1:${port}`;
    const revision = async () => {
      const res = await fetch(`${base}/health_check`).catch(() => undefined);
      return res?.ok ? ((await res.json()) as { revision: string }).revision : undefined;
    };
    try {
      await waitFor('gateway up', async () => (await revision()) !== undefined, 10_000);
      await commit(['get_user', 'get_admin']);
      const head = git(work, 'rev-parse', 'HEAD');
      const cli = Bun.spawnSync([process.execPath, 'gateway/main.ts', 'reload', '--data-dir', data], { cwd: root, stdout: 'pipe', stderr: 'pipe' });
      expect(cli.exitCode).toBe(0);
      expect(cli.stdout.toString()).toContain('sent SIGHUP');
      await waitFor('revision applied', async () => (await revision()) === `main@sha1:${head}`, 3000);
    } finally {
      proc.kill('SIGTERM');
      await proc.exited;
      await backend.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
