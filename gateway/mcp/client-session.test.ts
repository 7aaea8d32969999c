/**
 * Sessions as Endpoints see them (ClientSession): server→client requests relayed to the client on the
 * right stream and settled by the client's POSTed responses, the optional Endpoint methods (resources,
 * completion, logging, onInitialize) and `sessionEnded` whenever a session ends. Raw HTTP against a
 * loopback server, with an in-test Endpoint that relays like an upstream would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { serveTransport, SseReader, type TransportServer, until } from '../../test/support/mcp-fixture.ts';
import type { CallContext, CallToolResult, ClientSession, Endpoint } from '../routing/endpoint.ts';
import { McpMethodError } from '../routing/endpoint.ts';
import { McpTransport } from './index.ts';

const PREFIX = '/relay';
const ACCEPT = 'application/json, text/event-stream';
const SAMPLING = { messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 };

interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown> & { content?: { text: string }[] };
  error?: { code: number; message: string };
}

interface Seen {
  ended: string[];
  calls: { method: string; args: unknown[] }[];
  sessions: ClientSession[];
  refuse: boolean;
}

function text(value: string, isError = false): CallToolResult {
  return isError ? { content: [{ type: 'text', text: value }], isError } : { content: [{ type: 'text', text: value }] };
}

/** An Endpoint that relays a sampling request to the client on `ask`, and records the optional methods. */
function relayEndpoint(seen: Seen): Endpoint {
  const record = (method: string, ...args: unknown[]) => seen.calls.push({ method, args });
  return {
    prefix: PREFIX,
    tenant: 't',
    configName: 'c',
    serverName: 'relay',
    ssePrefix: '',
    serverInfo: { name: 'relay', version: '1' },
    capabilities: { tools: {}, resources: { subscribe: true }, completions: {}, logging: {} },
    listHash: 'h',
    listTools: () => [{ name: 'ask', inputSchema: { type: 'object' } }],
    async callTool(_name: string, _args: Record<string, unknown>, ctx: CallContext): Promise<CallToolResult> {
      seen.sessions.push(ctx.session!);
      try {
        const result = await ctx.session!.request('sampling/createMessage', SAMPLING, { signal: ctx.signal, relatedRequestId: ctx.requestId });
        return text(`sampled: ${JSON.stringify(result)}`);
      } catch (err) {
        return text(err instanceof McpMethodError ? `refused ${err.rpcCode}: ${err.message}` : String(err), true);
      }
    },
    listPrompts: () => [],
    getPrompt: () => ({ messages: [] }),
    listResources: (_ctx, cursor) => (record('resources/list', cursor), { resources: [{ uri: 'r://1', name: 'one' }] }),
    listResourceTemplates: () => ({ resourceTemplates: [{ uriTemplate: 'r://{id}', name: 'any' }] }),
    readResource: async (uri) => ({ contents: [{ uri, text: `content of ${uri}` }] }),
    subscribeResource: async (uri) => void record('subscribe', uri),
    unsubscribeResource: async (uri) => void record('unsubscribe', uri),
    complete: async (params) => ({ completion: { values: [`${params.argument.value}-done`] } }),
    setLogLevel: async (level) => void record('setLevel', level),
    sessionEnded: (id) => void seen.ended.push(id),
    async onInitialize(ctx) {
      if (seen.refuse) throw new McpMethodError(-32603, 'upstream "x" unavailable; failureMode closed');
      seen.sessions.push(ctx.session!);
    },
  };
}

describe('mcp client sessions', () => {
  let transport: McpTransport;
  let server: TransportServer;
  let clock = 1_000_000;
  const seen: Seen = { ended: [], calls: [], sessions: [], refuse: false };

  beforeAll(() => {
    transport = new McpTransport({ maxRequestBytes: 65536, keepAliveMs: 1000, sessionIdleMs: 60_000, clientRequestTimeoutMs: 300, now: () => clock });
    server = serveTransport(transport, [relayEndpoint(seen)]);
  });

  afterAll(async () => {
    await transport.drain(100);
    await server.stop();
  });

  const post = (body: unknown, headers: Record<string, string> = {}, accept = ACCEPT) =>
    fetch(`${server.url}${PREFIX}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept, ...headers }, body: JSON.stringify(body) });

  async function open(capabilities: Record<string, unknown>): Promise<Record<string, string>> {
    const res = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities, clientInfo: { name: 't', version: '1' } } });
    expect(res.status).toBe(200);
    await res.text();
    return { 'mcp-session-id': res.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-06-18' };
  }

  const ask = (session: Record<string, string>, id: number, accept = ACCEPT) =>
    post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'ask', arguments: {} } }, session, accept);

  it('answers tools/call of a client that declared sampling with a stream carrying the relayed request, settled by its POSTed response', async () => {
    const session = await open({ sampling: {} });
    const res = await ask(session, 7);
    expect(res.headers.get('content-type')).toStartWith('text/event-stream');
    const events = new SseReader(res);
    const request = JSON.parse((await events.next()).data) as RpcMessage;
    expect(request).toMatchObject({ jsonrpc: '2.0', method: 'sampling/createMessage', params: SAMPLING });
    expect(typeof request.id).toBe('number');
    const answer = await post({ jsonrpc: '2.0', id: request.id, result: { role: 'assistant', content: { type: 'text', text: 'yes' }, model: 'm' } }, session);
    expect(answer.status).toBe(202);
    const reply = JSON.parse((await events.next()).data) as RpcMessage;
    expect(reply.id).toBe(7);
    expect(reply.result?.content?.[0]?.text).toBe('sampled: {"role":"assistant","content":{"type":"text","text":"yes"},"model":"m"}');
  });

  it('passes the client error answer on as McpMethodError', async () => {
    const session = await open({ sampling: {} });
    const events = new SseReader(await ask(session, 8));
    const request = JSON.parse((await events.next()).data) as RpcMessage;
    await post({ jsonrpc: '2.0', id: request.id, error: { code: -1, message: 'User rejected sampling request' } }, session);
    const reply = JSON.parse((await events.next()).data) as RpcMessage;
    expect(reply.result?.content?.[0]?.text).toBe('refused -1: User rejected sampling request');
  });

  it('refuses with -32601 and answers plain JSON when the client did not declare sampling', async () => {
    const session = await open({});
    const res = await ask(session, 9);
    expect(res.headers.get('content-type')).toStartWith('application/json');
    const reply = (await res.json()) as RpcMessage;
    expect(reply.result?.content?.[0]?.text).toBe('refused -32601: client does not support sampling');
  });

  it('sends the request on the GET stream when the call is answered with JSON', async () => {
    const session = await open({ sampling: {} });
    const get = await fetch(`${server.url}${PREFIX}/mcp`, { headers: { accept: 'text/event-stream', ...session } });
    const stream = new SseReader(get);
    const pending = ask(session, 10, 'application/json');
    const event = await stream.next();
    expect(event.id).toBeString();
    const request = JSON.parse(event.data) as RpcMessage;
    expect(request.method).toBe('sampling/createMessage');
    await post({ jsonrpc: '2.0', id: request.id, result: { role: 'assistant', content: { type: 'text', text: 'ok' }, model: 'm' } }, session);
    const reply = (await (await pending).json()) as RpcMessage;
    expect(reply.result?.content?.[0]?.text).toStartWith('sampled:');
    await stream.cancel();
  });

  it('fails the request when no stream can carry it', async () => {
    const session = await open({ sampling: {} });
    const reply = (await (await ask(session, 11, 'application/json')).json()) as RpcMessage;
    expect(reply.result?.content?.[0]?.text).toBe('refused -32603: no open stream to send sampling/createMessage to the client on');
  });

  it('gives up on a client that does not answer in time and tells it the request is cancelled', async () => {
    const session = await open({ sampling: {} });
    const events = new SseReader(await ask(session, 12));
    const request = JSON.parse((await events.next()).data) as RpcMessage;
    const cancelled = JSON.parse((await events.next()).data) as RpcMessage;
    expect(cancelled).toMatchObject({ method: 'notifications/cancelled', params: { requestId: request.id } });
    const reply = JSON.parse((await events.next()).data) as RpcMessage;
    expect(reply.result?.content?.[0]?.text).toBe('refused -32603: the client did not answer sampling/createMessage within 300 ms');
    // A late answer is accepted and ignored.
    expect((await post({ jsonrpc: '2.0', id: request.id, result: {} }, session)).status).toBe(202);
  });

  it('fails pending requests, aborts `ended` and calls sessionEnded when the client deletes the session', async () => {
    const session = await open({ sampling: {} });
    const id = session['mcp-session-id']!;
    const events = new SseReader(await ask(session, 13));
    await events.next();
    const client = seen.sessions.at(-1)!;
    expect(client.ended.aborted).toBe(false);
    expect(client.clientCapabilities).toEqual({ sampling: {} });
    expect((client as unknown as { pendingRequests: number }).pendingRequests).toBe(1);
    expect((await fetch(`${server.url}${PREFIX}/mcp`, { method: 'DELETE', headers: session })).status).toBe(204);
    expect(client.ended.aborted).toBe(true);
    expect((client as unknown as { pendingRequests: number }).pendingRequests).toBe(0);
    expect(seen.ended).toContain(id);
    await expect(client.request('sampling/createMessage', SAMPLING)).rejects.toThrow('the client session ended');
  });

  it('relays over the legacy SSE transport: the request on the stream, the answer POSTed to /message', async () => {
    const res = await fetch(`${server.url}${PREFIX}/sse`, { headers: { accept: 'text/event-stream' } });
    const stream = new SseReader(res);
    const endpoint = (await stream.next()).data;
    const postMessage = (body: unknown) =>
      fetch(`${server.url}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await postMessage({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: { sampling: {} }, clientInfo: { name: 't', version: '1' } } });
    await stream.next();
    await postMessage({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask', arguments: {} } });
    const request = JSON.parse((await stream.next()).data) as RpcMessage;
    expect(request.method).toBe('sampling/createMessage');
    expect((await postMessage({ jsonrpc: '2.0', id: request.id, result: { role: 'assistant', content: { type: 'text', text: 'legacy' }, model: 'm' } })).status).toBe(202);
    const reply = JSON.parse((await stream.next()).data) as RpcMessage;
    expect(reply.id).toBe(2);
    expect(reply.result?.content?.[0]?.text).toContain('legacy');
    const id = new URLSearchParams(endpoint.split('?')[1]).get('sessionId')!;
    await stream.cancel();
    await until(() => seen.ended.includes(id), 2000, 'sessionEnded after the legacy client disconnected');
  });

  it('hands resources, completion and logging requests to the Endpoint', async () => {
    const session = await open({});
    const rpc = async (method: string, params: unknown) => (await (await post({ jsonrpc: '2.0', id: 1, method, params }, session)).json()) as RpcMessage;
    expect((await rpc('resources/list', { cursor: 'c1' })).result).toEqual({ resources: [{ uri: 'r://1', name: 'one' }] });
    expect((await rpc('resources/templates/list', {})).result).toEqual({ resourceTemplates: [{ uriTemplate: 'r://{id}', name: 'any' }] });
    expect((await rpc('resources/read', { uri: 'r://2' })).result).toEqual({ contents: [{ uri: 'r://2', text: 'content of r://2' }] });
    expect((await rpc('resources/read', {})).error?.code).toBe(-32602);
    expect((await rpc('resources/subscribe', { uri: 'r://1' })).result).toEqual({});
    expect((await rpc('resources/unsubscribe', { uri: 'r://1' })).result).toEqual({});
    const completion = await rpc('completion/complete', { ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'a', value: 'x' } });
    expect(completion.result).toEqual({ completion: { values: ['x-done'] } });
    expect((await rpc('completion/complete', { ref: { type: 'nope' } })).error?.code).toBe(-32602);
    expect((await rpc('logging/setLevel', { level: 'warning' })).result).toEqual({});
    expect(seen.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['resources/list', 'c1'],
      ['subscribe', 'r://1'],
      ['unsubscribe', 'r://1'],
      ['setLevel', 'warning'],
    ]);
  });

  it('creates no session when onInitialize refuses, answering its JSON-RPC error', async () => {
    seen.refuse = true;
    try {
      const before = transport.counts().streamable;
      const res = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      expect(res.headers.get('mcp-session-id')).toBeNull();
      const body = (await res.json()) as RpcMessage;
      expect(body.error).toEqual({ code: -32603, message: 'upstream "x" unavailable; failureMode closed' });
      expect(transport.counts().streamable).toBe(before);
    } finally {
      seen.refuse = false;
    }
  });

  it('calls sessionEnded when a session expires and when its router is removed', async () => {
    const expiring = (await open({}))['mcp-session-id']!;
    clock += 120_000;
    expect(transport.sweep()).toBeGreaterThan(0);
    expect(seen.ended).toContain(expiring);
    const removed = (await open({}))['mcp-session-id']!;
    transport.onTableSwap(() => undefined);
    expect(seen.ended).toContain(removed);
  });
});
