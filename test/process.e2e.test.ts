/**
 * The gateway as a real process (`bun gateway/main.ts`): it starts on the e2e config repo, serves a tool
 * call, drains an in-flight call on SIGTERM and exits 0, and on an invalid config repo stays up answering
 * 503 with compiler-style `file:line:col` issues on stderr until the files are fixed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { type DemoBackend, startDemoBackend } from '../demo/backend.ts';

const ROOT = join(import.meta.dir, '..');
const REPO = join(import.meta.dir, 'fixtures', 'e2e-repo');
const PREFIX = '/e2e/rest';
const ACCEPT = 'application/json, text/event-stream';
const PROTOCOL_VERSION = '2025-11-25';

interface JsonRpcReply {
  id?: number;
  result?: { content?: { type: string; text?: string }[]; isError?: boolean; [key: string]: unknown };
  error?: { code: number; message: string };
}

interface GatewayProcess {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  url: string;
  /** Everything the process wrote, available once it has exited. */
  stdout: Promise<string>;
  stderr: Promise<string>;
}

/** A port that was free a moment ago; the process fails loudly if someone took it since. */
function freePort(): number {
  const probe = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

function spawnGateway(config: string, dataDir: string, env: Record<string, string>): GatewayProcess {
  const port = freePort();
  const proc = Bun.spawn(
    [
      process.execPath,
      'gateway/main.ts',
      '--config',
      config,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--allowed-networks',
      '127.0.0.1/32,::1',
      '--env-allowlist',
      'E2E_BACKEND_URL',
      '--log-level',
      'warn',
      // The process keeps a PID file there; a temp dir keeps it out of the checkout.
      '--data-dir',
      dataDir,
    ],
    { cwd: ROOT, env: { ...process.env, ...env }, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
  );
  // Read both pipes from the start so a chatty process never blocks on a full pipe.
  const stdout = new Response(proc.stdout).text();
  const stderr = new Response(proc.stderr).text();
  return { proc, url: `http://127.0.0.1:${port}`, stdout, stderr };
}

/** Resolves with the exit code, or throws once `ms` have passed. */
async function exitWithin(proc: Subprocess, ms: number): Promise<number> {
  let timer: Timer | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`process ${proc.pid} still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([proc.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls /health_check until it answers 200; fails early if the process exits. */
async function waitHealthy(gw: GatewayProcess, timeoutMs = 10_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gw.proc.exitCode !== null) throw new Error(`gateway exited with ${gw.proc.exitCode}: ${await gw.stderr}`);
    const res = await fetch(`${gw.url}/health_check`).catch(() => undefined);
    if (res?.status === 200) return res;
    await res?.body?.cancel();
    if (Date.now() > deadline) throw new Error(`gateway not healthy within ${timeoutMs} ms`);
    await Bun.sleep(25);
  }
}

/** Polls an async condition until it holds; throws once `timeoutMs` have passed. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(25);
  }
}

async function until(what: string, condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

/** The single JSON-RPC reply of a POST, sent as JSON or as an SSE stream. */
async function replyOf(res: Response): Promise<JsonRpcReply> {
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const data = text
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .filter((line) => line !== '');
    return JSON.parse(data[data.length - 1]!) as JsonRpcReply;
  }
  return JSON.parse(text) as JsonRpcReply;
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify(body) });
}

async function openSession(gw: GatewayProcess): Promise<Record<string, string>> {
  const res = await post(`${gw.url}${PREFIX}/mcp`, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'process-test', version: '1.0.0' } },
  });
  expect(res.status).toBe(200);
  const sessionId = res.headers.get('mcp-session-id')!;
  expect((await replyOf(res)).result?.protocolVersion).toBe(PROTOCOL_VERSION);
  const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION };
  const note = await post(`${gw.url}${PREFIX}/mcp`, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  expect(note.status).toBe(202);
  await note.body?.cancel();
  return headers;
}

describe('gateway process', () => {
  let backend: DemoBackend;
  let dataDir: string;
  const started: GatewayProcess[] = [];
  const start = (config: string) => {
    const gw = spawnGateway(config, dataDir, { E2E_BACKEND_URL: backend.url });
    started.push(gw);
    return gw;
  };

  beforeAll(async () => {
    backend = startDemoBackend({ port: 0 });
    dataDir = await mkdtemp(join(tmpdir(), 'gateway-data-'));
  });

  afterAll(async () => {
    for (const gw of started) if (gw.proc.exitCode === null && gw.proc.signalCode === null) gw.proc.kill('SIGKILL');
    await Promise.all(started.map((gw) => gw.proc.exited));
    await backend?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe('on the e2e config repo', () => {
    let gw: GatewayProcess;

    beforeAll(async () => {
      gw = start(REPO);
      await waitHealthy(gw);
    });

    it('answers /health_check with the served revision', async () => {
      const res = await fetch(`${gw.url}/health_check`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; revision: string };
      expect(body).toMatchObject({ status: 'ok' });
      expect(body.revision).toMatch(/^dir@sha1:[0-9a-f]{40}$/);
    });

    it('serves a tool call over Streamable HTTP', async () => {
      const session = await openSession(gw);
      const res = await post(
        `${gw.url}${PREFIX}/mcp`,
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_user', arguments: { id: '1' } } },
        session,
      );
      expect(res.status).toBe(200);
      const reply = await replyOf(res);
      expect(reply.id).toBe(2);
      expect(reply.result).toEqual({ content: [{ type: 'text', text: 'Ada Lovelace <ada@example.com> (admin)' }] });
    });

    it('finishes an in-flight call on SIGTERM and exits 0 within 12 s', async () => {
      const session = await openSession(gw);
      const requests = backend.stats.requests;
      const pending = post(
        `${gw.url}${PREFIX}/mcp`,
        { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'slow', arguments: { ms: 1500 } } },
        session,
      ).then(
        async (res) => ({ status: res.status, reply: await replyOf(res) }),
        (err: unknown) => ({ failure: err instanceof Error ? err.message : String(err) }),
      );
      await until('the slow call reached the backend', () => backend.stats.requests > requests);

      const signalled = performance.now();
      gw.proc.kill('SIGTERM');
      const outcome = await pending;
      expect(await exitWithin(gw.proc, 12_000)).toBe(0);
      expect(performance.now() - signalled).toBeLessThan(12_000);
      // Drained: the call completes. A clean JSON-RPC answer (error or isError) is acceptable too; a
      // connection torn down mid-call is not.
      expect(outcome).not.toHaveProperty('failure');
      const { status, reply } = outcome as { status: number; reply: JsonRpcReply };
      expect(status).toBe(200);
      expect(reply.id).toBe(3);
      if (reply.result && !reply.result.isError) {
        expect(reply.result.content).toEqual([{ type: 'text', text: 'waited 1500 ms' }]);
      } else {
        expect(reply.error ?? reply.result).toBeDefined();
      }
    }, 20_000);
  });

  describe('on an invalid config repo', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gateway-invalid-'));
      await mkdir(join(dir, 'configs', 'bad'), { recursive: true });
      // Line 8 has a key the schema does not know.
      await writeFile(
        join(dir, 'configs', 'bad', 'broken.yaml'),
        ['name: broken', 'tenant: bad', 'tools:', '  - name: t', '    method: GET', '    endpoint: http://127.0.0.1/', '    args: []', '    colour: red', ''].join('\n'),
      );
      // Schema-valid, but the router names a server that does not exist (line 5).
      await writeFile(
        join(dir, 'configs', 'bad', 'dangling.yaml'),
        ['name: dangling', 'tenant: bad', 'routers:', '  - prefix: /bad/dangling', '    server: nowhere', ''].join('\n'),
      );
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('stays up answering 503 and prints file:line:col issues on stderr, then recovers when the files are fixed', async () => {
      const gw = start(dir);
      try {
        await waitFor(async () => (await fetch(`${gw.url}/health_check`).catch(() => undefined))?.status === 503, 5_000);
        const status = (await (await fetch(`${gw.url}/_status`)).json()) as { ready: { status: string; reason: string; issues: string[] } };
        expect(status.ready.status).toBe('False');
        expect(status.ready.reason).toBe('ValidationFailed');
        expect(status.ready.issues.join('\n')).toMatch(/configs\/bad\/broken\.yaml:8:\d+: .*colour/);
        const mcp = await fetch(`${gw.url}/bad/dangling/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT }, body: '{}' });
        expect(mcp.status).toBe(503);
        expect(await mcp.text()).toContain('broken.yaml:8');

        // Fix both files; the directory watcher reloads without a restart.
        await writeFile(join(dir, 'configs', 'bad', 'broken.yaml'), ['name: broken', 'tenant: bad', ''].join('\n'));
        await writeFile(join(dir, 'configs', 'bad', 'dangling.yaml'), ['name: dangling', 'tenant: bad', ''].join('\n'));
        await waitFor(async () => (await fetch(`${gw.url}/health_check`)).status === 200, 5_000);
      } finally {
        gw.proc.kill('SIGTERM');
        expect(await exitWithin(gw.proc, 12_000)).toBe(0);
      }
      const stderr = await gw.stderr;
      expect(stderr).toMatch(/^configs\/bad\/broken\.yaml:8:\d+: .*colour/m);
      expect(stderr).toMatch(/^configs\/bad\/dangling\.yaml:5:\d+: .*nowhere/m);
    }, 20_000);
  });
});
