/**
 * Upstream lifecycle with real processes and servers: stdio gating, crash → backoff → restart, onDemand
 * idle close, process-group reaping (launchers like npx), shutdown deadlines, the child environment,
 * secrets in errors, expired upstream sessions, header pass-through, server→client refusals,
 * cancellation, list_changed, subscriptions and logging.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import type { McpConfig, McpServer } from '../config/schema.ts';
import { callContext, testSession } from '../../test/fixtures/upstreams/client-session.ts';
import { EVERYTHING_STDIO, freePort, LAUNCHER, TINY_MCP } from '../../test/fixtures/upstreams/everything.ts';
import { alive, descendants, inGroups, waitFor } from '../../test/fixtures/upstreams/procs.ts';
import { startTestHttpServer, type TestHttpServer } from '../../test/fixtures/upstreams/test-http-server.ts';
import { UpstreamPool, type UpstreamPoolOptions } from './pool.ts';
import { compileUpstreamEndpoint, type UpstreamEndpoint } from './upstream-endpoint.ts';
import { SAFE_ENV_NAMES } from './spec.ts';

const TINY = { type: 'stdio' as const, command: process.execPath, args: [TINY_MCP] };

function endpointFor(pool: UpstreamPool, spec: McpServer, runtime: { allowStdio?: boolean; env?: (name: string) => string | undefined } = {}): UpstreamEndpoint {
  const config: McpConfig = { name: 'proxy', tenant: 'test', routers: [{ prefix: `/test/${spec.name}`, server: spec.name }], mcpServers: [spec] };
  return compileUpstreamEndpoint(
    { config, router: config.routers![0]!, upstream: spec, revision: 'main@sha1:test' },
    { pool, allowStdio: runtime.allowStdio ?? true, env: runtime.env ?? (() => undefined) },
  );
}

function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as { type: string; text?: string }[])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

async function pidInfo(endpoint: UpstreamEndpoint): Promise<{ pid: number; ppid: number; pgid: number }> {
  return JSON.parse(textOf(await endpoint.callTool('pid', {}, callContext())));
}

const pools: UpstreamPool[] = [];
function newPool(opts: UpstreamPoolOptions = {}): UpstreamPool {
  const pool = new UpstreamPool(opts);
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.closeAll()));
});

describe('upstream stdio', () => {
  it('refuses to start stdio upstreams when allowStdio is false', async () => {
    const before = descendants().length;
    const endpoint = endpointFor(newPool(), { ...TINY, name: 'local', policy: 'onStart' }, { allowStdio: false });
    const result = await endpoint.callTool('echo', { message: 'x' }, callContext());
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('upstream "local": stdio upstreams are disabled (security.allowStdio)');
    expect(await endpoint.listTools(callContext())).toEqual([]);
    expect(endpoint.isAvailable()).toBe(false);
    expect(endpoint.health()[0]).toMatchObject({ state: 'failed', lastError: 'stdio upstreams are disabled (security.allowStdio)' });
    expect(descendants().length).toBe(before);
  });

  it('restarts a crashed child after a backoff and serves the next call', async () => {
    const endpoint = endpointFor(newPool({ backoffInitialMs: 600 }), { ...TINY, name: 'crashy', policy: 'onStart' });
    const upstream = endpoint.upstream;
    expect(await waitFor(() => upstream.state === 'connected')).toBe(true);
    const pid = upstream.pid!;
    expect(descendants().some((p) => p.pid === pid)).toBe(true);

    process.kill(pid, 'SIGKILL');
    expect(await waitFor(() => upstream.state === 'backoff', 2000, 2)).toBe(true);
    expect(upstream.lastError).toBe('killed by SIGKILL');
    // During the backoff calls fail fast, naming the cause.
    const during = await endpoint.callTool('echo', { message: 'x' }, callContext());
    expect(during.isError).toBe(true);
    expect(textOf(during)).toBe('upstream "crashy": killed by SIGKILL');

    expect(await waitFor(() => upstream.state === 'connected', 5000)).toBe(true);
    expect(upstream.pid).not.toBe(pid);
    expect(upstream.restarts).toBe(1);
    expect(alive(pid)).toBe(false);
    expect(textOf(await endpoint.callTool('echo', { message: 'back' }, callContext()))).toBe('Echo: back');
  });

  it('closes an onDemand child after idleTimeout and reaps it', async () => {
    const endpoint = endpointFor(newPool(), { ...TINY, name: 'lazy', policy: 'onDemand', idleTimeout: 150 });
    const upstream = endpoint.upstream;
    expect(upstream.state).toBe('idle');
    const { pid } = await pidInfo(endpoint);
    expect(upstream.state).toBe('connected');
    expect(alive(pid)).toBe(true);
    expect(await waitFor(() => upstream.state === 'idle', 3000)).toBe(true);
    // Gone from the OS's process table, zombie included: exited and reaped.
    expect(await waitFor(() => !descendants().some((p) => p.pid === pid), 3000)).toBe(true);
    const again = await pidInfo(endpoint);
    expect(again.pid).not.toBe(pid);
  });

  it('kills the whole process group: a launcher that does not forward SIGTERM and its server', async () => {
    const spec: McpServer = {
      type: 'stdio',
      name: 'launched',
      command: process.execPath,
      args: [LAUNCHER, process.execPath, TINY_MCP, '--ignore-eof', '--helper'],
      policy: 'onDemand',
      idleTimeout: 0,
    };
    const endpoint = endpointFor(newPool({ killGraceMs: 200 }), spec);
    const info = await pidInfo(endpoint);
    // The server is the gateway's grandchild, in the group its launcher leads.
    expect(info.pgid).toBe(info.ppid);
    expect(descendants().some((p) => p.pid === info.pid)).toBe(true);
    expect(inGroups([info.pgid]).length).toBeGreaterThanOrEqual(3);
    expect(await waitFor(() => inGroups([info.pgid]).length === 0, 5000)).toBe(true);
  });

  it('kills a server whose launcher crashed', async () => {
    const spec: McpServer = { type: 'stdio', name: 'orphaned', command: process.execPath, args: [LAUNCHER, process.execPath, TINY_MCP, '--ignore-eof'] };
    const endpoint = endpointFor(newPool({ backoffInitialMs: 60_000 }), spec);
    const info = await pidInfo(endpoint);
    process.kill(info.ppid, 'SIGKILL');
    expect(await waitFor(() => inGroups([info.pgid]).length === 0, 5000)).toBe(true);
    expect(alive(info.pid)).toBe(false);
  });

  it('SIGKILLs children that ignore stdin EOF and SIGTERM, within the shutdown deadline', async () => {
    const pool = newPool({ killGraceMs: 10_000 });
    const endpoint = endpointFor(pool, { ...TINY, name: 'stubborn', args: [TINY_MCP, '--ignore-eof', '--ignore-sigterm'] });
    const { pid } = await pidInfo(endpoint);
    const started = performance.now();
    await pool.closeAll(300);
    const elapsed = performance.now() - started;
    expect(alive(pid)).toBe(false);
    expect(elapsed).toBeLessThan(2000);
    expect(endpoint.health()[0]!.state).toBe('closed');
  });

  it('gives children a minimal environment plus the rendered env templates', async () => {
    process.env.GATEWAY_TEST_SECRET = 'do-not-leak-me';
    try {
      const spec: McpServer = {
        type: 'stdio',
        name: 'env',
        ...EVERYTHING_STDIO,
        args: [...EVERYTHING_STDIO.args],
        env: { FROM_ENV: '{{ env "ALLOWED_VAR" }}', FROM_ARGS: 'first-{{ .Args.message }}', FROM_HEADER: '{{ index .Request.Headers "X-Tenant" }}' },
      };
      const endpoint = endpointFor(newPool(), spec, { env: (name) => (name === 'ALLOWED_VAR' ? 'allowed-value' : undefined) });
      const ctx = callContext(testSession(), { headers: { 'X-Tenant': 'acme' } });
      await endpoint.callTool('echo', { message: 'call' }, ctx);
      const env = JSON.parse(textOf(await endpoint.callTool('get-env', {}, callContext())));
      expect(env.FROM_ENV).toBe('allowed-value');
      expect(env.FROM_ARGS).toBe('first-call');
      expect(env.FROM_HEADER).toBe('acme');
      expect(env.PATH).toBe(process.env.PATH);
      expect(env.GATEWAY_TEST_SECRET).toBeUndefined();
      for (const name of Object.keys(env)) {
        // The safe base (which varies with how the tests were launched: npm sets npm_config_*) plus the spec's env.
        expect([...SAFE_ENV_NAMES, 'FROM_ENV', 'FROM_ARGS', 'FROM_HEADER']).toContain(name);
      }
    } finally {
      delete process.env.GATEWAY_TEST_SECRET;
    }
  });

  it('keeps the last stderr lines for the status, and warms preinstalled upstreams once', async () => {
    const pool = newPool();
    const spec: McpServer = { type: 'stdio', name: 'warm', command: process.execPath, args: [LAUNCHER, process.execPath, TINY_MCP], preinstalled: true };
    const upstream = pool.retain(spec, { allowStdio: true, env: () => undefined });
    expect(await waitFor(() => upstream.stderrTail().some((l) => l.startsWith('launcher: started')), 5000)).toBe(true);
    expect(await waitFor(() => upstream.state === 'idle' && upstream.connections === 0, 5000)).toBe(true);
    expect(upstream.health().stderr!.length).toBeGreaterThan(0);
  });
});

describe('upstream over HTTP', () => {
  let server: TestHttpServer;

  beforeAll(() => {
    server = startTestHttpServer();
  });

  afterAll(async () => {
    await server.stop();
  });

  it('reports an unreachable upstream in the result, empty lists and health, without secrets', async () => {
    const port = await freePort();
    const endpoint = endpointFor(newPool(), {
      type: 'streamable-http',
      name: 'down',
      url: `http://admin:hunter22@127.0.0.1:${port}/mcp?token=querysecret`,
      headers: { Authorization: 'Bearer topsecret-token' },
      connectTimeout: '2s',
    });
    const result = await endpoint.callTool('anything', {}, callContext());
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text.startsWith('upstream "down": ')).toBe(true);
    expect(await endpoint.listTools(callContext())).toEqual([]);
    expect(await endpoint.listPrompts(callContext())).toEqual([]);
    const health = endpoint.health()[0]!;
    expect(health.state).toBe('backoff');
    expect(endpoint.isAvailable()).toBe(false);
    for (const shown of [text, health.lastError!]) {
      expect(shown).not.toContain('hunter22');
      expect(shown).not.toContain('querysecret');
      expect(shown).not.toContain('topsecret-token');
    }
  });

  it('re-initializes an expired upstream session (404) and retries the call once', async () => {
    const endpoint = endpointFor(newPool(), { type: 'streamable-http', name: 'expiring', url: server.url });
    const first = JSON.parse(textOf(await endpoint.callTool('whoami', {}, callContext())));
    server.expireAll();
    const second = JSON.parse(textOf(await endpoint.callTool('whoami', {}, callContext())));
    expect(second.session).not.toBe(first.session);
    expect(second.initializations).toBe(first.initializations + 1);
    expect(endpoint.health()[0]!.state).toBe('connected');
  });

  it("passes the client's Authorization through per client session, and nothing else", async () => {
    const spec: McpServer = {
      type: 'streamable-http',
      name: 'passthrough',
      url: server.url,
      headers: { Authorization: '{{ index .Request.Headers "Authorization" }}', 'X-Gateway': 'mcp-gateway' },
    };
    const endpoint = endpointFor(newPool(), spec);
    expect(endpoint.upstream.identityBound).toBe(true);
    const alice = testSession();
    const bob = testSession();
    const as = (session: typeof alice, token: string) => callContext(session, { headers: { Authorization: token, 'X-Secret': 'client-only' } });
    const seenFrom = server.seenHeaders.length;
    const a1 = JSON.parse(textOf(await endpoint.callTool('whoami', {}, as(alice, 'Bearer alice'))));
    const b1 = JSON.parse(textOf(await endpoint.callTool('whoami', {}, as(bob, 'Bearer bob'))));
    const a2 = JSON.parse(textOf(await endpoint.callTool('whoami', {}, as(alice, 'Bearer alice'))));
    expect([a1.authorization, b1.authorization, a2.authorization]).toEqual(['Bearer alice', 'Bearer bob', 'Bearer alice']);
    expect(a2.session).toBe(a1.session);
    expect(b1.session).not.toBe(a1.session);
    const seen = server.seenHeaders.slice(seenFrom);
    expect(seen.length).toBeGreaterThan(0);
    for (const headers of seen) {
      expect(headers['x-secret']).toBeUndefined();
      expect(headers['x-gateway']).toBe('mcp-gateway');
    }
    alice.end();
    bob.end();
    expect(await waitFor(() => endpoint.upstream.connections === 0, 3000)).toBe(true);
  });

  it('refuses server→client requests for a client that did not declare the capability', async () => {
    const endpoint = endpointFor(newPool(), { type: 'streamable-http', name: 'sampler', url: server.url });
    const refused = await endpoint.callTool('sample', {}, callContext(testSession()));
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('client does not support sampling');
    const sampler = testSession({ capabilities: { sampling: {} } });
    const accepted = await endpoint.callTool('sample', {}, callContext(sampler));
    expect(textOf(accepted)).toContain('sampled by the test client');
    expect(sampler.requests).toHaveLength(1);
  });

  it('shares the connection past maxSessionConnections and refuses server requests there', async () => {
    const endpoint = endpointFor(newPool({ maxSessionConnections: 1 }), { type: 'streamable-http', name: 'limited', url: server.url });
    const first = testSession({ capabilities: { sampling: {} } });
    const second = testSession({ capabilities: { sampling: {} } });
    expect(textOf(await endpoint.callTool('sample', {}, callContext(first)))).toContain('sampled by the test client');
    const over = await endpoint.callTool('sample', {}, callContext(second));
    expect(textOf(over)).toContain('client does not support sampling');
    expect(second.requests).toHaveLength(0);
  });

  it('sends the cancellation upstream when the client aborts a call', async () => {
    const endpoint = endpointFor(newPool(), { type: 'streamable-http', name: 'cancel', url: server.url });
    const before = server.cancellations;
    const controller = new AbortController();
    const started = performance.now();
    const call = endpoint.callTool('wait', {}, callContext(testSession(), { signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const result = await call;
    expect(performance.now() - started).toBeLessThan(1500);
    expect(textOf(result)).toContain('cancelled');
    expect(await waitFor(() => server.cancellations === before + 1, 3000)).toBe(true);
  });

  it('forwards tools/list_changed to the sessions it serves and refreshes its tool cache', async () => {
    const endpoint = endpointFor(newPool(), { type: 'streamable-http', name: 'changing', url: server.url });
    const watcher = testSession();
    const before = (await endpoint.listTools(callContext(watcher))).map((t) => t.name);
    const added = textOf(await endpoint.callTool('add-tool', {}, callContext()));
    expect(before).not.toContain(added);
    expect(await waitFor(() => watcher.notifications.some((n) => n.method === 'notifications/tools/list_changed'), 3000)).toBe(true);
    expect((await endpoint.listTools(callContext(watcher))).map((t) => t.name)).toContain(added);
  });

  it('subscribes upstream once per resource and forwards updates to subscribed sessions only', async () => {
    const endpoint = endpointFor(newPool(), { type: 'streamable-http', name: 'subs', url: server.url });
    const a = testSession();
    const b = testSession();
    const bystander = testSession();
    await endpoint.listTools(callContext(bystander));
    const subsBefore = server.subscriptions.length;
    await endpoint.subscribeResource!('test://doc', callContext(a));
    await endpoint.subscribeResource!('test://doc', callContext(b));
    expect(server.subscriptions.length).toBe(subsBefore + 1);
    await endpoint.callTool('touch', {}, callContext());
    const updated = (s: typeof a) => s.notifications.filter((n) => n.method === 'notifications/resources/updated').length;
    expect(await waitFor(() => updated(a) === 1 && updated(b) === 1, 3000)).toBe(true);
    expect(a.notifications.find((n) => n.method === 'notifications/resources/updated')!.params).toEqual({ uri: 'test://doc' });
    expect(updated(bystander)).toBe(0);
    await endpoint.unsubscribeResource!('test://doc', callContext(a));
    expect(server.subscriptions.length).toBe(subsBefore + 1);
    await endpoint.unsubscribeResource!('test://doc', callContext(b));
    expect(server.subscriptions.length).toBe(subsBefore);
  });

  it('forwards log messages to sessions whose level admits them', async () => {
    const endpoint = endpointFor(newPool(), { type: 'streamable-http', name: 'logs', url: server.url });
    const verbose = testSession();
    const quiet = testSession();
    const silent = testSession();
    await endpoint.setLogLevel!('info', callContext(verbose));
    await endpoint.setLogLevel!('error', callContext(quiet));
    await endpoint.listTools(callContext(silent));
    await endpoint.callTool('log', {}, callContext());
    const logs = (s: typeof verbose) => s.notifications.filter((n) => n.method === 'notifications/message');
    expect(await waitFor(() => logs(verbose).length === 1, 3000)).toBe(true);
    expect(logs(verbose)[0]!.params).toMatchObject({ level: 'warning', data: 'careful' });
    await Bun.sleep(50);
    expect(logs(quiet)).toHaveLength(0);
    expect(logs(silent)).toHaveLength(0);
  });
});
