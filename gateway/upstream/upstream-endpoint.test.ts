/**
 * The upstream Endpoint against the real server-everything over stdio, legacy SSE and Streamable HTTP:
 * everything a client sees through the gateway (tools, content types, prompts, resources, completions,
 * progress, cancellation, sampling/elicitation/roots relayed to the owning client session) and tool shaping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { McpConfig, McpServer } from '../config/schema.ts';
import { McpMethodError } from '../routing/endpoint.ts';
import { EVERYTHING_STDIO, type RunningEverything, startEverything } from '../../test/fixtures/upstreams/everything.ts';
import { callContext, testSession } from '../../test/fixtures/upstreams/client-session.ts';
import { UpstreamPool } from './pool.ts';
import { compileUpstreamEndpoint, type UpstreamEndpoint } from './upstream-endpoint.ts';

const TRANSPORTS = ['stdio', 'sse', 'streamable-http'] as const;

function configFor(spec: McpServer): McpConfig {
  return { name: 'proxy', tenant: 'test', routers: [{ prefix: '/test/everything', server: spec.name }], mcpServers: [spec] };
}

function endpointFor(pool: UpstreamPool, spec: McpServer): UpstreamEndpoint {
  const config = configFor(spec);
  return compileUpstreamEndpoint(
    { config, router: config.routers![0]!, upstream: spec, revision: 'main@sha1:test' },
    { pool, allowStdio: true, env: () => undefined },
  );
}

function textOf(result: { content?: unknown }): string {
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

describe.each(TRANSPORTS)('upstream endpoint over %s (server-everything)', (type) => {
  let server: RunningEverything | undefined;
  let pool: UpstreamPool;
  let spec: McpServer;
  let endpoint: UpstreamEndpoint;

  beforeAll(async () => {
    if (type === 'stdio') spec = { type, name: 'everything', ...EVERYTHING_STDIO, args: [...EVERYTHING_STDIO.args] };
    else {
      server = await startEverything(type === 'sse' ? 'sse' : 'streamableHttp');
      spec = { type, name: 'everything', url: server.url };
    }
    pool = new UpstreamPool({});
    endpoint = endpointFor(pool, spec);
  });

  afterAll(async () => {
    await pool.closeAll();
    await server?.stop();
  });

  it('lists the upstream tools and mirrors its capabilities once connected', async () => {
    expect(endpoint.capabilities.tools?.listChanged).toBe(true);
    const tools = await endpoint.listTools(callContext(testSession()));
    const names = tools.map((t) => t.name);
    expect(names).toContain('echo');
    expect(names).toContain('get-sum');
    expect(names).toContain('trigger-long-running-operation');
    // Conditional tools exist only on connections whose client declared the capability.
    expect(names).not.toContain('trigger-sampling-request');
    const echo = tools.find((t) => t.name === 'echo')!;
    expect(echo.annotations?.readOnlyHint).toBe(true);
    expect(echo.inputSchema.type).toBe('object');
    expect(endpoint.capabilities.resources).toEqual({ listChanged: true, subscribe: true });
    expect(endpoint.capabilities.logging).toEqual({});
    expect(endpoint.capabilities.completions).toEqual({});
    expect(endpoint.instructions).toBeString();
    expect(endpoint.isAvailable()).toBe(true);
    expect(endpoint.health()[0]).toMatchObject({ name: 'everything', type, state: 'connected', sessions: 1 });
  });

  it('calls tools and passes text results through', async () => {
    const ctx = callContext(testSession());
    expect(textOf(await endpoint.callTool('echo', { message: 'hello' }, ctx))).toBe('Echo: hello');
    expect(textOf(await endpoint.callTool('get-sum', { a: 2, b: 40 }, callContext()))).toContain('is 42');
  });

  it('passes image content through unchanged', async () => {
    const result = await endpoint.callTool('get-tiny-image', {}, callContext());
    const image = (result.content as { type: string; data?: string; mimeType?: string }[]).find((c) => c.type === 'image')!;
    expect(image.mimeType).toBe('image/png');
    expect(Buffer.from(image.data!, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('passes structuredContent through', async () => {
    const result = await endpoint.callTool('get-structured-content', { location: 'Chicago' }, callContext());
    expect(result.structuredContent).toEqual({ temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 });
  });

  it('passes resource links and embedded resources through', async () => {
    const links = await endpoint.callTool('get-resource-links', { count: 2 }, callContext());
    expect((links.content as { type: string }[]).filter((c) => c.type === 'resource_link')).toHaveLength(2);
    const ref = await endpoint.callTool('get-resource-reference', { resourceType: 'Text', resourceId: 1 }, callContext());
    expect((ref.content as { type: string }[]).some((c) => c.type === 'resource')).toBe(true);
  });

  it('passes the upstream validation error of a bad call as a tool error', async () => {
    const result = await endpoint.callTool('get-sum', { a: 'x' }, callContext());
    expect(result.isError).toBe(true);
  });

  it('lists and gets prompts', async () => {
    const ctx = callContext(testSession());
    const prompts = await endpoint.listPrompts(ctx);
    expect(prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['simple-prompt', 'args-prompt']));
    const got = await endpoint.getPrompt('args-prompt', { city: 'Lisbon' }, ctx);
    expect(JSON.stringify(got.messages)).toContain('Lisbon');
    await expect(endpoint.getPrompt('no-such-prompt', {}, ctx)).rejects.toBeInstanceOf(McpMethodError);
  });

  it('lists and reads resources and resource templates', async () => {
    const ctx = callContext(testSession());
    const list = await endpoint.listResources!(ctx);
    expect(list.resources.length).toBeGreaterThan(0);
    const first = list.resources[0]!;
    const read = await endpoint.readResource!(first.uri, ctx);
    expect(read.contents[0]!.uri).toBe(first.uri);
    const templates = await endpoint.listResourceTemplates!(ctx);
    expect(templates.resourceTemplates.length).toBeGreaterThan(0);
  });

  it('completes prompt arguments', async () => {
    const result = await endpoint.complete!(
      { ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'Eng' } },
      callContext(),
    );
    expect(result.completion.values).toEqual(['Engineering']);
  });

  it('relays progress notifications to ctx.progress', async () => {
    const seen: [number, number | undefined][] = [];
    const ctx = callContext(testSession(), { progress: (p, total) => seen.push([p, total]) });
    const result = await endpoint.callTool('trigger-long-running-operation', { duration: 0.3, steps: 3 }, ctx);
    expect(textOf(result)).toContain('completed');
    expect(seen).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('ends a call promptly when the client cancels it', async () => {
    const controller = new AbortController();
    const ctx = callContext(testSession(), { signal: controller.signal });
    const started = performance.now();
    const call = endpoint.callTool('trigger-long-running-operation', { duration: 30, steps: 30 }, ctx);
    setTimeout(() => controller.abort(new DOMException('cancelled by the client', 'AbortError')), 200);
    const result = await call;
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('cancelled');
    // The connection survives the cancellation.
    expect(textOf(await endpoint.callTool('echo', { message: 'after' }, callContext()))).toBe('Echo: after');
  });

  it('relays a sampling request to the client session that owns the call', async () => {
    const session = testSession({ capabilities: { sampling: {} } });
    const ctx = callContext(session);
    const names = (await endpoint.listTools(ctx)).map((t) => t.name);
    expect(names).toContain('trigger-sampling-request');
    const result = await endpoint.callTool('trigger-sampling-request', { prompt: 'Say hi', maxTokens: 10 }, ctx);
    expect(result.isError).toBeUndefined();
    expect(textOf(result)).toContain('sampled by the test client');
    const sampling = session.requests.filter((r) => r.method === 'sampling/createMessage');
    expect(sampling).toHaveLength(1);
    expect(JSON.stringify(sampling[0]!.params)).toContain('Say hi');
    expect(sampling[0]!.relatedRequestId).toBe(ctx.requestId!);
    endpoint.sessionEnded(session.id);
  });

  it('relays an elicitation request and returns the client answer', async () => {
    const session = testSession({ capabilities: { elicitation: {} } });
    const result = await endpoint.callTool('trigger-elicitation-request', {}, callContext(session));
    expect(textOf(result)).toContain('Ada Lovelace');
    expect(session.requests.map((r) => r.method)).toEqual(['elicitation/create']);
    session.end();
  });

  it('relays roots/list to a client that declared roots', async () => {
    const session = testSession({ capabilities: { roots: {} } });
    const result = await endpoint.callTool('get-roots-list', {}, callContext(session));
    expect(textOf(result)).toContain('file:///tmp/test-root');
    expect(session.requests.some((r) => r.method === 'roots/list')).toBe(true);
    session.end();
  });

  it('keeps per-session upstream connections apart from the shared one and releases them', async () => {
    const upstream = endpoint.upstream;
    // Connections of the sessions ended by earlier tests may still be closing.
    for (let i = 0; i < 250 && upstream.connections > 1; i++) await Bun.sleep(20);
    const before = upstream.connections;
    expect(before).toBe(1);
    const session = testSession({ capabilities: { sampling: {} } });
    await endpoint.callTool('echo', { message: 'mine' }, callContext(session));
    expect(upstream.connections).toBe(before + 1);
    expect(upstream.health().sessions).toBeGreaterThanOrEqual(2);
    session.end();
    const deadline = Date.now() + 5000;
    while (upstream.connections > before && Date.now() < deadline) await Bun.sleep(20);
    expect(upstream.connections).toBe(before);
  });
});

describe('upstream endpoint tool shaping', () => {
  const pool = new UpstreamPool({});
  const spec: McpServer = {
    type: 'stdio',
    name: 'shaped',
    ...EVERYTHING_STDIO,
    args: [...EVERYTHING_STDIO.args],
    tools: {
      include: ['echo', 'get-*'],
      exclude: ['get-env', 'get-resource-?inks'],
      rename: { echo: 'say' },
      descriptions: { 'get-sum': 'Adds two numbers.' },
    },
  };
  const endpoint = endpointFor(pool, spec);

  afterAll(() => pool.closeAll());

  it('filters, renames and re-describes the listed tools', async () => {
    const tools = await endpoint.listTools(callContext());
    const names = tools.map((t) => t.name);
    expect(names).toContain('say');
    expect(names).toContain('get-sum');
    expect(names).toContain('get-tiny-image');
    expect(names).not.toContain('echo');
    expect(names).not.toContain('get-env');
    expect(names).not.toContain('get-resource-links');
    expect(names).not.toContain('trigger-long-running-operation');
    expect(tools.find((t) => t.name === 'get-sum')!.description).toBe('Adds two numbers.');
    expect(tools.find((t) => t.name === 'say')!.description).toBe('Echoes back the input string');
  });

  it('maps a renamed tool back to its upstream name', async () => {
    expect(textOf(await endpoint.callTool('say', { message: 'renamed' }, callContext()))).toBe('Echo: renamed');
  });

  it('refuses hidden tools and the old name of a renamed one', async () => {
    for (const name of ['echo', 'get-env', 'trigger-long-running-operation']) {
      const err = await endpoint.callTool(name, {}, callContext()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpMethodError);
      expect((err as McpMethodError).rpcCode).toBe(-32602);
    }
  });

  it('keeps the listHash stable for the same spec and changes it with the shaping', () => {
    expect(endpointFor(pool, spec).listHash).toBe(endpoint.listHash);
    const other = endpointFor(pool, { ...spec, tools: { include: ['echo'] } });
    expect(other.listHash).not.toBe(endpoint.listHash);
  });
});
