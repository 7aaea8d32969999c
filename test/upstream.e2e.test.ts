/**
 * Upstream MCP servers behind the gateway, end to end: the real server-everything over stdio, legacy SSE
 * and Streamable HTTP, a gateway in this process on a config directory written here, and the official
 * SDK client talking to the gateway (Streamable HTTP, and legacy SSE for one case). What the client sees
 * must be what the upstream said: tools, content types, prompts, resources, completions, progress, and
 * the upstream's sampling and elicitation requests, relayed to the client and answered by it.
 *
 * Then aggregation: two upstreams and a REST server (the demo backend) behind one prefix, under each
 * prefixMode, and failureMode open and closed with one upstream down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type CallToolResult,
  type ClientCapabilities,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { type DemoBackend, startDemoBackend } from '../demo/backend.ts';
import type { McpConfig, McpServer } from '../gateway/config/schema.ts';
import type { RunningGateway } from '../gateway/gateway.ts';
import { EVERYTHING_STDIO, freePort, type RunningEverything, startEverything, TINY_MCP } from './fixtures/upstreams/everything.ts';
import { type ConfigRepo, configRepo, gatewayStatus, startTestGateway } from './fixtures/upstreams/gateway.ts';
import { startTestHttpServer, type TestHttpServer } from './fixtures/upstreams/test-http-server.ts';

const SAMPLED = 'sampled by the e2e client';

function textOf(result: CallToolResult): string {
  return result.content
    .filter((c) => c.type === 'text')
    .map((c) => (c as { text: string }).text)
    .join('\n');
}

/** An SDK client that declared `capabilities` and answers sampling and elicitation when it declared them. */
function sdkClient(capabilities: ClientCapabilities = { sampling: {}, elicitation: {} }): Client {
  const client = new Client({ name: 'upstream-e2e', version: '1.0.0' }, { capabilities });
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      role: 'assistant',
      content: { type: 'text', text: `${SAMPLED} (${req.params.messages.length} message)` },
      model: 'e2e-model',
      stopReason: 'endTurn',
    }));
  }
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada Lovelace', check: true } }));
  }
  if (capabilities.roots) {
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///srv/e2e-root', name: 'e2e root' }] }));
  }
  return client;
}

async function connect(client: Client, gateway: RunningGateway, prefix: string, transport: 'mcp' | 'sse' = 'mcp'): Promise<Client> {
  const url = new URL(`${gateway.url}${prefix}/${transport}`);
  await client.connect(transport === 'mcp' ? new StreamableHTTPClientTransport(url) : new SSEClientTransport(url));
  return client;
}

/**
 * Progress 1, 2, … in order. The last one may be missing: the upstream sends it together with the result,
 * and the SDK client dispatches notifications a microtask after responses, so when both arrive in one read
 * the client has dropped its progress handler already (the gateway itself delivers every one, see
 * gateway/upstream/connection.ts `tapProgress`).
 */
function expectProgress(seen: number[], steps: number): void {
  expect(seen.length).toBeGreaterThanOrEqual(steps - 1);
  expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
}

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await Bun.sleep(10);
  }
}

const TYPES = ['stdio', 'sse', 'streamable-http'] as const;
const PREFIX: Record<(typeof TYPES)[number], string> = { stdio: '/e2e/everything-stdio', sse: '/e2e/everything-sse', 'streamable-http': '/e2e/everything-http' };

describe('upstream MCP servers through the gateway', () => {
  let sse: RunningEverything;
  let http: RunningEverything;
  let probe: TestHttpServer;
  let repo: ConfigRepo;
  let gateway: RunningGateway;
  const clients: Client[] = [];
  const open = async (prefix: string, capabilities?: ClientCapabilities, transport: 'mcp' | 'sse' = 'mcp'): Promise<Client> => {
    const client = sdkClient(capabilities);
    clients.push(client);
    return connect(client, gateway, prefix, transport);
  };

  beforeAll(async () => {
    [sse, http] = await Promise.all([startEverything('sse'), startEverything('streamableHttp')]);
    probe = startTestHttpServer();
    repo = configRepo();
    repo.write({
      name: 'upstreams',
      tenant: 'e2e',
      routers: [
        { server: 'everything-stdio', prefix: PREFIX.stdio },
        { server: 'everything-sse', prefix: PREFIX.sse },
        { server: 'everything-http', prefix: PREFIX['streamable-http'] },
        { server: 'probe', prefix: '/e2e/probe' },
      ],
      mcpServers: [
        { name: 'everything-stdio', type: 'stdio', command: EVERYTHING_STDIO.command, args: [...EVERYTHING_STDIO.args] },
        { name: 'everything-sse', type: 'sse', url: sse.url, connectTimeout: '10s' },
        { name: 'everything-http', type: 'streamable-http', url: http.url, callTimeout: '20s' },
        { name: 'probe', type: 'streamable-http', url: probe.url },
      ],
    });
    gateway = await startTestGateway(repo);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await gateway?.stop(2000);
    await Promise.all([sse?.stop(), http?.stop(), probe?.stop()]);
    repo?.cleanup();
  });

  describe.each(TYPES)('server-everything over %s', (type) => {
    let client: Client;
    beforeAll(async () => {
      client = await open(PREFIX[type]);
    });

    it('lists the upstream tools, including the ones it offers only to clients that declared sampling and elicitation', async () => {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-tiny-image', 'get-structured-content', 'trigger-long-running-operation']));
      expect(names).toEqual(expect.arrayContaining(['trigger-sampling-request', 'trigger-elicitation-request']));
      expect(client.getServerVersion()?.name).toBe('mcp-gateway');
    });

    it('calls tools and passes text, structured content and images through', async () => {
      expect(textOf((await client.callTool({ name: 'echo', arguments: { message: 'hello' } })) as CallToolResult)).toBe('Echo: hello');
      const structured = (await client.callTool({ name: 'get-structured-content', arguments: { location: 'Chicago' } })) as CallToolResult;
      expect(structured.structuredContent).toEqual({ temperature: 36, conditions: 'Light rain / drizzle', humidity: 82 });
      const image = ((await client.callTool({ name: 'get-tiny-image', arguments: {} })) as CallToolResult).content.find((c) => c.type === 'image');
      expect(image).toMatchObject({ type: 'image', mimeType: 'image/png' });
      expect(Buffer.from((image as { data: string }).data, 'base64').subarray(1, 4).toString()).toBe('PNG');
      const links = (await client.callTool({ name: 'get-resource-links', arguments: { count: 2 } })) as CallToolResult;
      expect(links.content.filter((c) => c.type === 'resource_link')).toHaveLength(2);
    });

    it('passes an upstream tool error through as an isError result', async () => {
      const result = (await client.callTool({ name: 'get-sum', arguments: { a: 'x' } })) as CallToolResult;
      expect(result.isError).toBe(true);
    });

    it('lists and gets prompts, and completes prompt arguments', async () => {
      const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
      expect(prompts).toEqual(expect.arrayContaining(['simple-prompt', 'args-prompt', 'completable-prompt']));
      const got = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon' } });
      expect(JSON.stringify(got.messages)).toContain('Lisbon');
      const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'Eng' } });
      expect(completion.completion.values).toEqual(['Engineering']);
    });

    it('lists and reads resources and resource templates', async () => {
      const { resources } = await client.listResources();
      expect(resources.length).toBeGreaterThan(0);
      const read = await client.readResource({ uri: resources[0]!.uri });
      expect(read.contents[0]!.uri).toBe(resources[0]!.uri);
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('demo://resource/dynamic/text/{resourceId}');
      const dynamic = await client.readResource({ uri: 'demo://resource/dynamic/text/3' });
      expect(JSON.stringify(dynamic.contents)).toContain('3');
    });

    it('delivers the upstream progress notifications to the client', async () => {
      const progress: { progress: number; total?: number }[] = [];
      const result = (await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
        onprogress: (p) => progress.push(p),
      })) as CallToolResult;
      expect(textOf(result)).toContain('Long running operation completed');
      expectProgress(progress.map((p) => p.progress), 3);
      expect(progress[0]!.total).toBe(3);
    });

    it('relays the upstream sampling request to the client and its answer back', async () => {
      const result = (await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'Say hi', maxTokens: 10 } })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
      expect(textOf(result)).toContain(SAMPLED);
      expect(textOf(result)).toContain('e2e-model');
    });

    it('relays the upstream elicitation request to the client and its answer back', async () => {
      const result = (await client.callTool({ name: 'trigger-elicitation-request', arguments: {} })) as CallToolResult;
      expect(textOf(result)).toContain('User provided the requested information');
      expect(textOf(result)).toContain('Name: Ada Lovelace');
    });

    it('relays the upstream roots/list request to a client that declared roots', async () => {
      const rooted = await open(PREFIX[type], { roots: { listChanged: true } });
      const result = (await rooted.callTool({ name: 'get-roots-list', arguments: {} })) as CallToolResult;
      expect(textOf(result)).toContain('file:///srv/e2e-root');
    });

    it('ends a cancelled call promptly', async () => {
      const abort = new AbortController();
      const started = performance.now();
      const call = client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 20, steps: 20 } }, undefined, {
        signal: abort.signal,
        onprogress: () => abort.abort('enough'),
      });
      await expect(call).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(5000);
      await until('the gateway ended the call', () => gateway.transport.inspect().inflight === 0);
      // The session still works after the cancellation.
      expect(textOf((await client.callTool({ name: 'echo', arguments: { message: 'after' } })) as CallToolResult)).toBe('Echo: after');
    });
  });

  it('serves a legacy SSE client, relaying sampling over its stream', async () => {
    const client = await open(PREFIX['streamable-http'], { sampling: {} }, 'sse');
    expect(textOf((await client.callTool({ name: 'echo', arguments: { message: 'legacy' } })) as CallToolResult)).toBe('Echo: legacy');
    const sampled = (await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'Say hi', maxTokens: 10 } })) as CallToolResult;
    expect(textOf(sampled)).toContain(SAMPLED);
    const progress: number[] = [];
    await client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expectProgress(progress, 3);
  });

  it('refuses the upstream sampling request cleanly when the client did not declare sampling', async () => {
    const client = await open('/e2e/probe', {});
    const result = (await client.callTool({ name: 'sample', arguments: {} })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('client does not support sampling');
  });

  it('relays sampling from a Streamable HTTP upstream to a client that declared it', async () => {
    const client = await open('/e2e/probe', { sampling: {} });
    const result = (await client.callTool({ name: 'sample', arguments: {} })) as CallToolResult;
    expect(result.isError ?? false).toBe(false);
    expect(textOf(result)).toContain(SAMPLED);
  });

  it('forwards the client cancellation to the upstream', async () => {
    const client = await open('/e2e/probe', {});
    const before = probe.cancellations;
    const abort = new AbortController();
    const started = performance.now();
    const call = client.callTool({ name: 'wait', arguments: {} }, undefined, { signal: abort.signal });
    await Bun.sleep(200);
    abort.abort('user pressed stop');
    await expect(call).rejects.toThrow();
    expect(performance.now() - started).toBeLessThan(3000);
    await until('the upstream saw notifications/cancelled', () => probe.cancellations === before + 1);
  });

  it('relays resource subscriptions and the upstream update notifications', async () => {
    const client = await open('/e2e/probe', {});
    const updates: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    await client.subscribeResource({ uri: 'test://doc' });
    expect(probe.subscriptions).toContain('test://doc');
    await client.callTool({ name: 'touch', arguments: {} });
    await until('resources/updated reached the client', () => updates.includes('test://doc'));
    await client.unsubscribeResource({ uri: 'test://doc' });
  });

  it('relays log messages at or above the level the client set', async () => {
    const client = await open('/e2e/probe', {});
    const messages: { level: string; data: unknown }[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      messages.push({ level: n.params.level, data: n.params.data });
    });
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'log', arguments: {} });
    await until('notifications/message reached the client', () => messages.length > 0);
    expect(messages[0]).toEqual({ level: 'warning', data: 'careful' });
  });

  it('re-initializes an expired upstream session and retries the call once, unseen by the client', async () => {
    const client = await open('/e2e/probe', {});
    const first = JSON.parse(textOf((await client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult)) as { session: string };
    probe.expireAll();
    const second = JSON.parse(textOf((await client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult)) as { session: string };
    expect(second.session).not.toBe(first.session);
  });

  it('reports each upstream in /_status and /metrics', async () => {
    const status = await gatewayStatus(gateway);
    const names = status.upstreams.map((u) => u.name).sort();
    expect(names).toEqual(['everything-http', 'everything-sse', 'everything-stdio', 'probe']);
    for (const u of status.upstreams) {
      expect(u.state).toBe('connected');
      expect(u.restarts).toBe(0);
      expect(Date.parse(u.since)).toBeGreaterThan(0);
    }
    // Nothing that could carry a secret (rendered headers, env, the stderr tail) is on this page.
    for (const u of status.upstreams) expect(Object.keys(u).filter((k) => !['name', 'type', 'state', 'since', 'lastError', 'restarts', 'sessions', 'pid'].includes(k))).toEqual([]);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('upstream_up{upstream="everything-stdio"} 1');
    expect(metrics).toContain('upstream_restarts_total{upstream="probe"} 0');
  });
});

// ---------------------------------------------------------------------------------------------------
// Aggregation

describe('aggregation of upstreams and REST servers behind one prefix', () => {
  let everything: RunningEverything;
  let backend: DemoBackend;
  let repo: ConfigRepo;
  let gateway: RunningGateway;
  let downUrl: string;
  const clients: Client[] = [];
  const open = async (prefix: string): Promise<Client> => {
    const client = sdkClient({});
    clients.push(client);
    return connect(client, gateway, prefix);
  };
  const names = async (client: Client) => (await client.listTools()).tools.map((t) => t.name).sort();

  function document(extraRouters: McpConfig['routers'] = []): McpConfig {
    const members = ['status', 'everything', 'tiny'];
    const upstreams: McpServer[] = [
      { name: 'everything', type: 'streamable-http', url: everything.url },
      { name: 'tiny', type: 'stdio', command: process.execPath, args: [TINY_MCP] },
      { name: 'down', type: 'streamable-http', url: downUrl, connectTimeout: '2s' },
    ];
    return {
      name: 'aggregate',
      tenant: 'agg',
      routers: [
        { servers: members, prefix: '/agg/always', prefixMode: 'always' },
        { servers: members, prefix: '/agg/conditional' },
        { servers: members, prefix: '/agg/never', prefixMode: 'never' },
        { servers: ['status', 'everything', 'down'], prefix: '/agg/open', failureMode: 'open' },
        { servers: ['status', 'everything', 'down'], prefix: '/agg/closed', failureMode: 'closed' },
        ...extraRouters,
      ],
      servers: [
        { name: 'status', description: 'Backend health', allowedTools: ['backend_health'], config: { base: backend.url } },
        { name: 'status-copy', allowedTools: ['backend_health'], config: { base: backend.url } },
      ],
      tools: [
        {
          name: 'backend_health',
          description: 'Is the demo backend up?',
          method: 'GET',
          endpoint: '{{ .Config.base }}/health',
          responseBody: 'backend: {{ .Response.Data.status }}',
        },
      ],
      mcpServers: upstreams,
    };
  }

  beforeAll(async () => {
    everything = await startEverything('streamableHttp');
    backend = startDemoBackend({ port: 0 });
    downUrl = `http://127.0.0.1:${await freePort()}/mcp`;
    repo = configRepo();
    repo.write(document());
    gateway = await startTestGateway(repo);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await gateway?.stop(2000);
    await everything?.stop();
    await backend?.stop();
    repo?.cleanup();
  });

  it('prefixes every name with its server under prefixMode always, and dispatches each call to its owner', async () => {
    const client = await open('/agg/always');
    const tools = await names(client);
    expect(tools).toEqual(expect.arrayContaining(['status_backend_health', 'everything_echo', 'everything_get-sum', 'tiny_echo', 'tiny_pid']));
    expect(tools.every((t) => /^(status|everything|tiny)_/.test(t))).toBe(true);
    expect(textOf((await client.callTool({ name: 'status_backend_health', arguments: {} })) as CallToolResult)).toBe('backend: ok');
    expect(textOf((await client.callTool({ name: 'everything_get-sum', arguments: { a: 1, b: 2 } })) as CallToolResult)).toContain('3');
    const pid = JSON.parse(textOf((await client.callTool({ name: 'tiny_pid', arguments: {} })) as CallToolResult)) as { pid: number };
    expect(pid.pid).toBeGreaterThan(0);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('everything_simple-prompt');
    const got = await client.getPrompt({ name: 'everything_args-prompt', arguments: { city: 'Porto' } });
    expect(JSON.stringify(got.messages)).toContain('Porto');
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(0);
    expect((await client.readResource({ uri: resources[0]!.uri })).contents.length).toBeGreaterThan(0);
  });

  it('prefixes only clashing names under prefixMode conditional', async () => {
    const client = await open('/agg/conditional');
    const tools = await names(client);
    expect(tools).toEqual(expect.arrayContaining(['backend_health', 'everything_echo', 'tiny_echo', 'get-sum', 'pid']));
    expect(tools).not.toContain('echo');
    expect(textOf((await client.callTool({ name: 'tiny_echo', arguments: { message: 'tiny' } })) as CallToolResult)).toBe('Echo: tiny');
    expect(textOf((await client.callTool({ name: 'everything_echo', arguments: { message: 'big' } })) as CallToolResult)).toBe('Echo: big');
    expect(textOf((await client.callTool({ name: 'backend_health', arguments: {} })) as CallToolResult)).toBe('backend: ok');
  });

  it('keeps names as they are under prefixMode never, the first server winning a clash only known at run time', async () => {
    const client = await open('/agg/never');
    const tools = await names(client);
    expect(tools).toEqual(expect.arrayContaining(['backend_health', 'echo', 'get-sum', 'pid']));
    expect(tools.filter((t) => t === 'echo')).toHaveLength(1);
    expect(textOf((await client.callTool({ name: 'echo', arguments: { message: 'x' } })) as CallToolResult)).toBe('Echo: x');
    expect(textOf((await client.callTool({ name: 'pid', arguments: {} })) as CallToolResult)).toContain('"pid"');
  });

  it('refuses a revision whose prefixMode never aggregate has a clash known at load, naming it, and keeps serving', async () => {
    const applied = (await gatewayStatus(gateway)).lastAppliedRevision;
    repo.write(document([{ servers: ['status', 'status-copy'], prefix: '/agg/clash', prefixMode: 'never' }]));
    const result = await gateway.reload('test');
    expect(result.outcome).toBe('failed');
    expect(result.message).toContain('tool "backend_health" is offered by both "status" and "status-copy"');
    const status = await gatewayStatus(gateway);
    expect(status.ready.reason).toBe('CompileFailed');
    expect(status.ready.message).toContain('backend_health');
    expect(status.lastAppliedRevision).toBe(applied);
    // The refused revision released what it had retained: still one Upstream per spec.
    expect(gateway.upstreams.size).toBe(3);
    repo.write(document());
    // The directory watcher may have applied it already; either way the good revision is served again.
    expect(['applied', 'unchanged']).toContain((await gateway.reload('test')).outcome);
    expect((await gatewayStatus(gateway)).ready.status).toBe('True');
    const client = await open('/agg/never');
    expect(await names(client)).toContain('backend_health');
  });

  it('hides the tools of an unreachable upstream under failureMode open', async () => {
    const client = await open('/agg/open');
    const tools = await names(client);
    expect(tools).toEqual(expect.arrayContaining(['backend_health', 'echo', 'get-sum']));
    expect(tools.some((t) => t.startsWith('down'))).toBe(false);
    expect(textOf((await client.callTool({ name: 'echo', arguments: { message: 'still here' } })) as CallToolResult)).toBe('Echo: still here');
    const down = (await gatewayStatus(gateway)).upstreams.find((u) => u.name === 'down')!;
    expect(down.state).toBe('backoff');
    expect(down.lastError).toBeString();
  });

  it('refuses the session under failureMode closed while an upstream is down', async () => {
    const client = sdkClient({});
    const refused = connect(client, gateway, '/agg/closed');
    await expect(refused).rejects.toThrow(/upstream "down" .*unavailable; failureMode closed/);
    await client.close().catch(() => undefined);
    expect(gateway.transport.counts().streamable).toBe(clients.length);
  });
});
