/**
 * Interoperability with the official TypeScript SDK client over both transports: the whole method
 * surface, progress, cancellation and list_changed after a table swap.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { PromptListChangedNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createTestEndpoint, type EndpointProbe, serveTransport, type TransportServer, until } from '../../test/support/mcp-fixture.ts';
import type { Endpoint } from '../routing/endpoint.ts';
import { McpTransport } from './index.ts';

const PREFIX = '/acme/tickets';

let transport: McpTransport;
let server: TransportServer;
let endpoint: Endpoint;
let probe: EndpointProbe;
const clients: Client[] = [];

beforeAll(() => {
  ({ endpoint, probe } = createTestEndpoint({ prefix: PREFIX, instructions: 'Use the echo tool.' }));
  transport = new McpTransport({ maxRequestBytes: 1 << 20 });
  server = serveTransport(transport, [endpoint]);
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
});

afterAll(async () => {
  await transport.drain(100);
  await server.stop();
});

const transports: { name: string; kind: 'streamable' | 'sse'; make: (headers?: Record<string, string>) => Transport }[] = [
  {
    name: 'Streamable HTTP',
    kind: 'streamable',
    make: (headers) => new StreamableHTTPClientTransport(new URL(`${server.url}${PREFIX}/mcp`), { requestInit: { headers } }),
  },
  {
    name: 'legacy SSE',
    kind: 'sse',
    make: (headers) => new SSEClientTransport(new URL(`${server.url}${PREFIX}/sse`), { requestInit: { headers } }),
  },
];

async function connect(make: (headers?: Record<string, string>) => Transport, headers?: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'sdk-interop-test', version: '1.0.0' });
  await client.connect(make(headers));
  clients.push(client);
  return client;
}

function textOf(result: unknown): string {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return content[0]!.text;
}

describe('mcp transport with the SDK client', () => {
  for (const t of transports) {
    describe(t.name, () => {
      it('initializes and reports server info, capabilities and instructions when connecting', async () => {
        const client = await connect(t.make);
        expect(client.getServerVersion()).toEqual({ name: 'test-gateway', version: '1.0.0' });
        expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
        expect(client.getInstructions()).toBe('Use the echo tool.');
        expect(transport.counts()[t.kind]).toBeGreaterThanOrEqual(1);
      });

      it('lists and calls tools when asked', async () => {
        const client = await connect(t.make);
        const { tools } = await client.listTools();
        expect(tools.map((x) => x.name)).toContain('echo');
        const result = await client.callTool({ name: 'echo', arguments: { a: 1, b: 'two' } });
        expect(JSON.parse(textOf(result))).toEqual({ a: 1, b: 'two' });
      });

      it('passes request headers in canonical form when a tool reads them', async () => {
        const client = await connect(t.make, { 'x-user-id': 'u-42' });
        const result = await client.callTool({ name: 'whoami', arguments: {} });
        const seen = JSON.parse(textOf(result)) as { user: string; session: string };
        expect(seen.user).toBe('u-42');
        expect(seen.session).toBeString();
      });

      it('lists and gets prompts when asked', async () => {
        const client = await connect(t.make);
        const { prompts } = await client.listPrompts();
        expect(prompts.map((p) => p.name)).toEqual(['greet']);
        const prompt = await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } });
        expect(prompt.messages[0]!.content).toEqual({ type: 'text', text: 'Hello, Ada!' });
      });

      it('answers ping when pinged', async () => {
        const client = await connect(t.make);
        expect(await client.ping()).toEqual({});
      });

      it('delivers progress notifications before the result when the client asks for progress', async () => {
        const client = await connect(t.make);
        const seen: { progress: number; total?: number; message?: string }[] = [];
        const result = await client.callTool({ name: 'progress', arguments: { steps: 3 } }, undefined, {
          onprogress: (p) => seen.push(p),
        });
        expect(textOf(result)).toBe('with progress');
        expect(seen).toEqual([
          { progress: 1, total: 3, message: 'step 1' },
          { progress: 2, total: 3, message: 'step 2' },
          { progress: 3, total: 3, message: 'step 3' },
        ]);
      });

      it('aborts the call signal when the client cancels the request', async () => {
        const client = await connect(t.make);
        const before = probe.aborted.length;
        const controller = new AbortController();
        const call = client.callTool({ name: 'wait', arguments: {} }, undefined, { signal: controller.signal });
        const waitsBefore = probe.waits.length;
        await until(() => probe.waits.length > waitsBefore || probe.aborted.length > before, 2000, 'the wait call to start');
        controller.abort('user gave up');
        await expect(call).rejects.toThrow();
        await until(() => probe.aborted.length > before, 2000, 'the endpoint signal to abort');
        expect(probe.aborted.at(-1)!.aborted).toBe(true);
        // The session survives a cancellation.
        expect(await client.ping()).toEqual({});
      });

      it('delivers tools and prompts list_changed when the endpoint listHash changes on a table swap', async () => {
        const client = await connect(t.make);
        let toolsChanged = 0;
        let promptsChanged = 0;
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          toolsChanged++;
        });
        client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
          promptsChanged++;
        });
        try {
          // Streamable HTTP: the SDK opens its GET stream only after notifications/initialized, so swap
          // (with a fresh hash each time) until the stream is there to carry the notification.
          const deadline = Date.now() + 2000;
          while (toolsChanged === 0 || promptsChanged === 0) {
            if (Date.now() > deadline) throw new Error('no list_changed notification arrived');
            const next = createTestEndpoint({ prefix: PREFIX, listHash: `hash-${crypto.randomUUID()}`, extraTools: ['added'] }).endpoint;
            server.endpoints.set(PREFIX, next);
            transport.onTableSwap((prefix) => server.endpoints.get(prefix));
            await Bun.sleep(20);
          }
          const { tools } = await client.listTools();
          expect(tools.map((x) => x.name)).toContain('added');
        } finally {
          server.endpoints.set(PREFIX, endpoint);
          transport.onTableSwap((prefix) => server.endpoints.get(prefix));
        }
      });

      it('maps an unknown tool to a -32602 error when called', async () => {
        const client = await connect(t.make);
        await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/Unknown tool: nope/);
      });

      it('hides exception details behind -32603 when a tool throws', async () => {
        const client = await connect(t.make);
        const error = await client.callTool({ name: 'boom', arguments: {} }).catch((e: Error) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain('Internal error');
        expect((error as Error).message).not.toContain('secret-token-123');
      });
    });
  }

  it('frees the streamable session when the client terminates it', async () => {
    const t = new StreamableHTTPClientTransport(new URL(`${server.url}${PREFIX}/mcp`));
    const client = new Client({ name: 'terminate-test', version: '1.0.0' });
    await client.connect(t);
    const before = transport.counts().streamable;
    await t.terminateSession();
    expect(transport.counts().streamable).toBe(before - 1);
    await client.close();
  });

  it('frees the legacy session when the client closes', async () => {
    const before = transport.counts().sse;
    const client = await connect(transports[1]!.make);
    expect(transport.counts().sse).toBe(before + 1);
    await client.close();
    await until(() => transport.counts().sse === before, 2000, 'the legacy session to be freed');
  });
});
