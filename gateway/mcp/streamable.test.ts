/**
 * Streamable HTTP status-code and framing rules (spec `basic/transports` › Streamable HTTP), with raw
 * fetch against a loopback server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { compiledCors, createTestEndpoint, type EndpointProbe, parseSse, serveTransport, SseReader, type TransportServer, until } from '../../test/support/mcp-fixture.ts';
import { McpTransport } from './index.ts';

const PREFIX = '/acme/tickets';
const OTHER = '/acme/other';
const BROWSER = '/acme/browser';
const ALLOWED_ORIGIN = 'https://app.example';
const FOREIGN_ORIGIN = 'https://evil.example';
const ACCEPT = 'application/json, text/event-stream';

interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

let transport: McpTransport;
let server: TransportServer;
let probe: EndpointProbe;

beforeAll(() => {
  const main = createTestEndpoint({ prefix: PREFIX });
  probe = main.probe;
  transport = new McpTransport({ maxRequestBytes: 4096, keepAliveMs: 25 });
  server = serveTransport(transport, [
    main.endpoint,
    createTestEndpoint({ prefix: OTHER }).endpoint,
    createTestEndpoint({
      prefix: BROWSER,
      cors: compiledCors([ALLOWED_ORIGIN], { exposeHeaders: 'X-Request-Id', allowCredentials: true, maxAge: 120 }),
    }).endpoint,
  ]);
});

afterAll(async () => {
  await transport.drain(100);
  await server.stop();
});

function url(prefix = PREFIX, kind = 'mcp'): string {
  return `${server.url}${prefix}/${kind}`;
}

function post(body: unknown, headers: Record<string, string> = {}, prefix = PREFIX): Promise<Response> {
  return fetch(url(prefix), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function initialize(version = '2025-11-25', id: number | string = 1) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: version, capabilities: { roots: {} }, clientInfo: { name: 'raw-test', version: '0.0.1' } },
  };
}

/** Opens a session; returns the headers later requests need. */
async function openSession(version = '2025-11-25', prefix = PREFIX): Promise<Record<string, string>> {
  const res = await post(initialize(version), {}, prefix);
  expect(res.status).toBe(200);
  const id = res.headers.get('mcp-session-id');
  expect(id).toMatch(/^[\x21-\x7e]+$/);
  const body = (await res.json()) as RpcMessage;
  expect(body.result?.protocolVersion).toBe(version);
  const headers: Record<string, string> = { 'mcp-session-id': id! };
  if (version !== '2025-03-26') headers['mcp-protocol-version'] = version;
  const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers, prefix);
  expect(note.status).toBe(202);
  return headers;
}

async function rpc(session: Record<string, string>, method: string, params?: unknown, id: number | string = 2): Promise<RpcMessage> {
  const res = await post(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }, session);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toStartWith('application/json');
  return (await res.json()) as RpcMessage;
}

async function expectRpcError(res: Response, status: number, code: number, message?: RegExp): Promise<RpcMessage> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toStartWith('application/json');
  const body = (await res.json()) as RpcMessage;
  expect(body.jsonrpc).toBe('2.0');
  expect(body.error?.code).toBe(code);
  if (message) expect(body.error?.message).toMatch(message);
  return body;
}

describe('mcp streamable', () => {
  describe('initialize', () => {
    it('creates a session and echoes a supported version when initialize has no session id', async () => {
      const res = await post(initialize('2025-06-18'));
      expect(res.status).toBe(200);
      expect(res.headers.get('mcp-session-id')).toMatch(/^[\x21-\x7e]{16,}$/);
      const body = (await res.json()) as RpcMessage;
      expect(body.id).toBe(1);
      expect(body.result).toEqual({
        protocolVersion: '2025-06-18',
        capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, logging: {} },
        serverInfo: { name: 'test-gateway', version: '1.0.0' },
      });
    });

    it('answers the latest version when the client asks for an unsupported one', async () => {
      const body = (await (await post(initialize('1999-01-01'))).json()) as RpcMessage;
      expect(body.result?.protocolVersion).toBe('2025-11-25');
    });

    it('answers 2024-11-05 when a client asks for it on Streamable HTTP', async () => {
      const body = (await (await post(initialize('2024-11-05'))).json()) as RpcMessage;
      expect(body.result?.protocolVersion).toBe('2024-11-05');
    });

    it('issues a different session id when initialized twice', async () => {
      const a = (await post(initialize())).headers.get('mcp-session-id');
      const b = (await post(initialize())).headers.get('mcp-session-id');
      expect(a).not.toBe(b);
    });

    it('refuses with 400 -32600 when initialize carries a session id', async () => {
      const session = await openSession();
      const body = await expectRpcError(await post(initialize(), session), 400, -32600);
      expect(body.id).toBe(1);
    });

    it('creates no session when initialize params are invalid', async () => {
      const before = transport.counts().streamable;
      const res = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
      expect(res.status).toBe(200);
      expect(res.headers.get('mcp-session-id')).toBeNull();
      expect(((await res.json()) as RpcMessage).error?.code).toBe(-32602);
      expect(transport.counts().streamable).toBe(before);
    });
  });

  describe('POST status codes', () => {
    it('answers 202 with no body when the body is a notification', async () => {
      const session = await openSession();
      const res = await post({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, session);
      expect(res.status).toBe(202);
      expect(await res.text()).toBe('');
    });

    it('answers 202 with no body when the body is a response', async () => {
      const session = await openSession();
      const res = await post({ jsonrpc: '2.0', id: 'srv-1', result: {} }, session);
      expect(res.status).toBe(202);
      expect(await res.text()).toBe('');
      const err = await post({ jsonrpc: '2.0', id: 'srv-2', error: { code: -1, message: 'no' } }, session);
      expect(err.status).toBe(202);
    });

    it('answers 400 -32000 when a request has no session id', async () => {
      await expectRpcError(await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), 400, -32000, /Mcp-Session-Id header is required/);
    });

    it('answers 400 when MCP-Protocol-Version is unsupported', async () => {
      const session = await openSession();
      await expectRpcError(
        await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { ...session, 'mcp-protocol-version': '1999-01-01' }),
        400,
        -32000,
        /Unsupported protocol version/,
      );
    });

    it('answers 400 when MCP-Protocol-Version differs from the negotiated one', async () => {
      const session = await openSession('2025-11-25');
      await expectRpcError(
        await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { ...session, 'mcp-protocol-version': '2025-06-18' }),
        400,
        -32000,
        /does not match/,
      );
    });

    it('assumes the negotiated version when MCP-Protocol-Version is missing', async () => {
      const session = await openSession('2025-06-18');
      const body = await rpc({ 'mcp-session-id': session['mcp-session-id']! }, 'ping');
      expect(body.result).toEqual({});
    });

    it('answers 400 -32700 with id null when the body is not JSON', async () => {
      const session = await openSession();
      const body = await expectRpcError(await post('{"jsonrpc": "2.0", "id": ', session), 400, -32700, /^Parse error: /);
      expect(body.id).toBeNull();
    });

    it('answers 400 -32600 when the body is not a JSON-RPC message', async () => {
      const session = await openSession();
      await expectRpcError(await post({ hello: 'world' }, session), 400, -32600);
      await expectRpcError(await post({ jsonrpc: '1.0', id: 1, method: 'ping' }, session), 400, -32600);
      await expectRpcError(await post({ jsonrpc: '2.0', id: null, method: 'ping' }, session), 400, -32600);
      await expectRpcError(await post({ jsonrpc: '2.0', id: 1, method: 42 }, session), 400, -32600);
      await expectRpcError(await post('"just a string"', session), 400, -32600);
    });

    it('answers 404 -32001 when the session id is unknown', async () => {
      await expectRpcError(
        await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { 'mcp-session-id': 'no-such-session' }),
        404,
        -32001,
        /Session not found/,
      );
    });

    it('answers 404 when the session belongs to another prefix', async () => {
      const session = await openSession();
      await expectRpcError(await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, session, OTHER), 404, -32001);
      // Still fine on its own prefix.
      expect((await rpc(session, 'ping')).result).toEqual({});
    });

    it('answers 405 with Allow when the method is PUT or PATCH', async () => {
      for (const method of ['PUT', 'PATCH']) {
        const res = await fetch(url(), { method, headers: { 'content-type': 'application/json' }, body: '{}' });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('GET, POST, DELETE, OPTIONS');
        await res.body?.cancel();
      }
    });

    it('answers 406 when Accept excludes both JSON and SSE', async () => {
      await expectRpcError(await post(initialize(), { accept: 'text/html' }), 406, -32000, /Not Acceptable/);
    });

    it('accepts a missing, wildcard or single-type Accept', async () => {
      for (const accept of ['*/*', 'application/json', 'application/*']) {
        const res = await post(initialize(), { accept });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toStartWith('application/json');
        await res.body?.cancel();
      }
      const none = await fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(initialize()) });
      expect(none.status).toBe(200);
      await none.body?.cancel();
    });

    it('answers with an SSE stream when the client accepts only text/event-stream', async () => {
      const res = await post(initialize(), { accept: 'text/event-stream' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toStartWith('text/event-stream');
      expect(res.headers.get('mcp-session-id')).toBeTruthy();
      const events = parseSse(await res.text());
      expect(events).toHaveLength(1);
      expect((JSON.parse(events[0]!.data) as RpcMessage).result?.protocolVersion).toBe('2025-11-25');
    });

    it('answers 415 when Content-Type is not JSON', async () => {
      await expectRpcError(await post(initialize(), { 'content-type': 'text/plain' }), 415, -32000, /Unsupported Media Type/);
    });

    it('accepts application/json with a charset', async () => {
      const res = await post(initialize(), { 'content-type': 'Application/JSON; charset=utf-8' });
      expect(res.status).toBe(200);
      await res.body?.cancel();
    });

    it('answers 413 when Content-Length exceeds the limit', async () => {
      const session = await openSession();
      const big = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { pad: 'x'.repeat(5000) } } };
      await expectRpcError(await post(big, session), 413, -32000, /Payload Too Large/);
    });

    it('answers 413 when a chunked body grows past the limit', async () => {
      const session = await openSession();
      const chunk = new TextEncoder().encode(`{"jsonrpc":"2.0","id":3,"method":"ping","params":{"pad":"${'x'.repeat(3000)}`);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(chunk);
          controller.enqueue(chunk);
          controller.close();
        },
      });
      const res = await fetch(url(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT, ...session },
        body,
      });
      await expectRpcError(res, 413, -32000);
    });
  });

  describe('batches', () => {
    it('answers a JSON array when the session negotiated 2025-03-26', async () => {
      const session = await openSession('2025-03-26');
      const res = await post(
        [
          { jsonrpc: '2.0', id: 'a', method: 'ping' },
          { jsonrpc: '2.0', method: 'notifications/roots/list_changed' },
          { jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'echo', arguments: { n: 1 } } },
        ],
        session,
      );
      expect(res.status).toBe(200);
      const body = (await res.json()) as RpcMessage[];
      expect(body.map((m) => m.id).sort()).toEqual(['a', 'b']);
      expect(body.find((m) => m.id === 'a')?.result).toEqual({});
    });

    it('answers 202 when a batch holds only notifications', async () => {
      const session = await openSession('2025-03-26');
      const res = await post([{ jsonrpc: '2.0', method: 'notifications/initialized' }, { jsonrpc: '2.0', id: 9, result: {} }], session);
      expect(res.status).toBe(202);
      expect(await res.text()).toBe('');
    });

    it('refuses batches with 400 -32600 when the session negotiated 2025-06-18', async () => {
      const session = await openSession('2025-06-18');
      await expectRpcError(
        await post([{ jsonrpc: '2.0', id: 1, method: 'ping' }], session),
        400,
        -32600,
        /batches are not supported in protocol version 2025-06-18/,
      );
    });

    it('refuses an initialize inside a batch with 400 -32600', async () => {
      await expectRpcError(await post([initialize('2025-03-26')]), 400, -32600, /initialize must not be part of a batch/);
      const session = await openSession('2025-03-26');
      await expectRpcError(await post([{ jsonrpc: '2.0', id: 2, method: 'ping' }, initialize('2025-03-26', 3)], session), 400, -32600);
    });

    it('refuses an empty batch or one with an invalid item', async () => {
      const session = await openSession('2025-03-26');
      await expectRpcError(await post([], session), 400, -32600);
      await expectRpcError(await post([{ jsonrpc: '2.0', id: 1, method: 'ping' }, { nope: true }], session), 400, -32600);
    });

    it('streams progress and answers as SSE when a batch request asks for progress', async () => {
      const session = await openSession('2025-03-26');
      const res = await post(
        [
          { jsonrpc: '2.0', id: 1, method: 'ping' },
          { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'progress', arguments: { steps: 2 }, _meta: { progressToken: 'p' } } },
        ],
        session,
      );
      expect(res.headers.get('content-type')).toStartWith('text/event-stream');
      const messages = parseSse(await res.text()).map((e) => JSON.parse(e.data) as RpcMessage);
      expect(messages.filter((m) => m.method === 'notifications/progress')).toHaveLength(2);
      expect(messages.filter((m) => m.id !== undefined).map((m) => m.id).sort()).toEqual([1, 2]);
    });
  });

  describe('methods', () => {
    it('answers -32601 when the method is unknown', async () => {
      const session = await openSession();
      const body = await rpc(session, 'tasks/list');
      expect(body.error?.code).toBe(-32601);
      expect(body.id).toBe(2);
    });

    it('answers -32602 when tools/call params are bad', async () => {
      const session = await openSession();
      expect((await rpc(session, 'tools/call', {})).error?.code).toBe(-32602);
      expect((await rpc(session, 'tools/call', { name: 7 })).error?.code).toBe(-32602);
      expect((await rpc(session, 'tools/call', { name: 'echo', arguments: [1, 2] })).error?.code).toBe(-32602);
      expect((await rpc(session, 'tools/call', { name: 'echo', arguments: null })).error?.code).toBe(-32602);
      expect((await rpc(session, 'tools/call', { name: 'nope' })).error).toEqual({ code: -32602, message: 'Unknown tool: nope' });
      expect((await rpc(session, 'tools/list', [1])).error?.code).toBe(-32602);
    });

    it('answers a tool result with isError when the backend fails', async () => {
      const session = await openSession();
      const body = await rpc(session, 'tools/call', { name: 'fail' });
      expect(body.result).toEqual({ content: [{ type: 'text', text: 'backend said no' }], isError: true });
    });

    it('answers -32602 when prompts/get params are bad', async () => {
      const session = await openSession();
      expect((await rpc(session, 'prompts/get', {})).error?.code).toBe(-32602);
      expect((await rpc(session, 'prompts/get', { name: 'greet', arguments: { name: 5 } })).error?.code).toBe(-32602);
      expect((await rpc(session, 'prompts/get', { name: 'greet', arguments: {} })).error?.message).toMatch(/Missing required argument/);
      expect((await rpc(session, 'prompts/get', { name: 'greet', arguments: { name: 'Ada' } })).result?.messages).toHaveLength(1);
    });

    it('ignores the tools/list cursor', async () => {
      const session = await openSession();
      const body = await rpc(session, 'tools/list', { cursor: 'whatever' });
      expect((body.result?.tools as unknown[]).length).toBeGreaterThan(0);
      expect(body.result?.nextCursor).toBeUndefined();
    });

    it('answers empty resources, templates and completions when asked', async () => {
      const session = await openSession();
      expect((await rpc(session, 'resources/list')).result).toEqual({ resources: [] });
      expect((await rpc(session, 'resources/templates/list')).result).toEqual({ resourceTemplates: [] });
      expect((await rpc(session, 'completion/complete', { ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'A' } })).result).toEqual({
        completion: { values: [], hasMore: false },
      });
      const read = await rpc(session, 'resources/read', { uri: 'file:///etc/passwd' });
      expect(read.error?.code).toBe(-32602);
      expect(read.error?.message).toBe('resource not found');
    });

    it('accepts RFC 5424 levels and refuses others when logging/setLevel is called', async () => {
      const session = await openSession();
      expect((await rpc(session, 'logging/setLevel', { level: 'warning' })).result).toEqual({});
      expect((await rpc(session, 'logging/setLevel', { level: 'verbose' })).error?.code).toBe(-32602);
    });

    it('answers -32603 without details when a tool throws', async () => {
      const session = await openSession();
      const body = await rpc(session, 'tools/call', { name: 'boom' });
      expect(body.error).toEqual({ code: -32603, message: 'Internal error' });
    });

    it('refuses a second request with an id that is still in flight', async () => {
      const session = await openSession();
      const first = post({ jsonrpc: '2.0', id: 77, method: 'tools/call', params: { name: 'gate' } }, session);
      await until(() => transport.inspect().inflight > 0, 2000, 'the gate call');
      const dup = await rpc(session, 'ping', undefined, 77);
      expect(dup.error?.code).toBe(-32600);
      probe.releaseGate();
      const done = (await (await first).json()) as RpcMessage;
      expect(done.result).toEqual({ content: [{ type: 'text', text: 'released' }] });
      // Once finished, the id may be reused.
      expect((await rpc(session, 'ping', undefined, 77)).result).toEqual({});
    });

    it('gives tools the query parameters, cookies and canonical headers of the HTTP request', async () => {
      const session = await openSession();
      const res = await fetch(`${url()}?tenant=acme&tenant=ignored`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT, ...session, 'x-user-id': 'u-1', cookie: 'sid=abc; theme="dark"' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami' } }),
      });
      expect(res.status).toBe(200);
      const view = probe.requests.at(-1)!;
      expect(view.headers['X-User-Id']).toBe('u-1');
      expect(view.headers['Mcp-Session-Id']).toBe(session['mcp-session-id']!);
      expect(view.query).toEqual({ tenant: 'acme' });
      expect(view.cookies).toEqual({ sid: 'abc', theme: 'dark' });
    });
  });

  describe('progress and cancellation', () => {
    it('streams progress then the answer when the request carries a progressToken and SSE is accepted', async () => {
      const session = await openSession();
      const res = await post({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'progress', _meta: { progressToken: 'tok' } } }, session);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toStartWith('text/event-stream');
      const messages = parseSse(await res.text()).map((e) => JSON.parse(e.data) as RpcMessage);
      expect(messages.map((m) => m.method ?? `answer:${m.id}`)).toEqual([
        'notifications/progress',
        'notifications/progress',
        'notifications/progress',
        'answer:5',
      ]);
      expect(messages[0]!.params).toEqual({ progressToken: 'tok', progress: 1, total: 3, message: 'step 1' });
    });

    it('answers plain JSON without progress when the client does not accept SSE', async () => {
      const session = await openSession();
      const res = await post(
        { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'progress', _meta: { progressToken: 1 } } },
        { ...session, accept: 'application/json' },
      );
      expect(res.headers.get('content-type')).toStartWith('application/json');
      expect(((await res.json()) as RpcMessage).result).toEqual({ content: [{ type: 'text', text: 'without progress' }] });
    });

    it('aborts the call and answers 202 when the client sends notifications/cancelled', async () => {
      const session = await openSession();
      const before = probe.aborted.length;
      const waits = probe.waits.length;
      const pending = post({ jsonrpc: '2.0', id: 'w1', method: 'tools/call', params: { name: 'wait' } }, session);
      await until(() => probe.waits.length > waits, 2000, 'the wait call');
      const cancel = await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'w1', reason: 'bored' } }, session);
      expect(cancel.status).toBe(202);
      const res = await pending;
      expect(res.status).toBe(202);
      expect(await res.text()).toBe('');
      expect(probe.aborted.length).toBe(before + 1);
    });
  });

  describe('GET stream and DELETE', () => {
    it('opens an event stream with keep-alive comments when the session is valid', async () => {
      const session = await openSession();
      const controller = new AbortController();
      const res = await fetch(url(), { headers: { ...session, accept: 'text/event-stream' }, signal: controller.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toStartWith('text/event-stream');
      const reader = new SseReader(res);
      const next = reader.next().catch(() => undefined);
      // The first comment opens the stream; the next ones are keep-alives.
      await until(() => reader.comments > 1, 2000, 'a keep-alive comment');
      controller.abort();
      await next;
    });

    it('answers 409 when a second GET stream is opened for a session', async () => {
      const session = await openSession();
      const controller = new AbortController();
      const first = await fetch(url(), { headers: { ...session, accept: 'text/event-stream' }, signal: controller.signal });
      expect(first.status).toBe(200);
      const second = await fetch(url(), { headers: { ...session, accept: 'text/event-stream' } });
      await expectRpcError(second, 409, -32000);
      controller.abort();
    });

    it('answers 406, 400 and 404 when GET lacks SSE in Accept, a session, or a live session', async () => {
      const session = await openSession();
      await expectRpcError(await fetch(url(), { headers: { ...session, accept: 'application/json' } }), 406, -32000);
      await expectRpcError(await fetch(url(), { headers: { accept: 'text/event-stream' } }), 400, -32000);
      await expectRpcError(await fetch(url(), { headers: { accept: 'text/event-stream', 'mcp-session-id': 'nope' } }), 404, -32001);
    });

    it('ends the session, its GET stream and its calls when the client sends DELETE', async () => {
      const session = await openSession();
      const stream = await fetch(url(), { headers: { ...session, accept: 'text/event-stream' } });
      const reader = new SseReader(stream);
      const waits = probe.waits.length;
      const pending = post({ jsonrpc: '2.0', id: 'w2', method: 'tools/call', params: { name: 'wait' } }, session);
      await until(() => probe.waits.length > waits, 2000, 'the wait call');
      const del = await fetch(url(), { method: 'DELETE', headers: session });
      expect(del.status).toBe(204);
      expect(probe.waits.at(-1)!.signal.aborted).toBe(true);
      expect((await pending).status).toBe(202);
      expect(await reader.rest()).toEqual([]);
      await expectRpcError(await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, session), 404, -32001);
      await expectRpcError(await fetch(url(), { method: 'DELETE', headers: session }), 404, -32001);
    });

    it('answers 400 when DELETE has no session id', async () => {
      await expectRpcError(await fetch(url(), { method: 'DELETE' }), 400, -32000);
    });

    it('gives list_changed events ids on the GET stream when the listHash changes', async () => {
      const { endpoint } = createTestEndpoint({ prefix: '/swap/me' });
      server.endpoints.set(endpoint.prefix, endpoint);
      const session = await openSession('2025-11-25', endpoint.prefix);
      const controller = new AbortController();
      const res = await fetch(url(endpoint.prefix), { headers: { ...session, accept: 'text/event-stream' }, signal: controller.signal });
      const reader = new SseReader(res);
      transport.onTableSwap((prefix) => (prefix === endpoint.prefix ? { ...endpoint, listHash: 'hash-2' } : server.endpoints.get(prefix)));
      const first = await reader.next();
      const second = await reader.next();
      expect(JSON.parse(first.data)).toEqual({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
      expect(JSON.parse(second.data)).toEqual({ jsonrpc: '2.0', method: 'notifications/prompts/list_changed' });
      expect(first.id).toBeDefined();
      expect(second.id).not.toBe(first.id);
      controller.abort();
      server.endpoints.delete(endpoint.prefix);
    });
  });

  describe('Origin and CORS', () => {
    it('answers 403 with a JSON-RPC error when the Origin is foreign, on every method', async () => {
      for (const prefix of [PREFIX, BROWSER]) {
        const p = await post(initialize(), { origin: FOREIGN_ORIGIN }, prefix);
        const body = await expectRpcError(p, 403, -32000);
        expect(body.id).toBeNull();
        expect(p.headers.get('access-control-allow-origin')).toBeNull();
        const g = await fetch(url(prefix), { headers: { accept: 'text/event-stream', origin: FOREIGN_ORIGIN } });
        await expectRpcError(g, 403, -32000);
        const d = await fetch(url(prefix), { method: 'DELETE', headers: { origin: FOREIGN_ORIGIN } });
        await expectRpcError(d, 403, -32000);
        const o = await fetch(url(prefix), {
          method: 'OPTIONS',
          headers: { origin: FOREIGN_ORIGIN, 'access-control-request-method': 'POST' },
        });
        expect(o.status).toBe(403);
        expect(o.headers.get('access-control-allow-origin')).toBeNull();
        await o.body?.cancel();
      }
    });

    it('refuses an Origin equal to the gateway host when the router does not list it (DNS rebinding)', async () => {
      const res = await post(initialize(), { origin: server.url });
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      await res.body?.cancel();
    });

    it('echoes the allowed origin and exposes the MCP headers when the origin is allowed', async () => {
      const res = await post(initialize(), { origin: ALLOWED_ORIGIN }, BROWSER);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(res.headers.get('vary')).toContain('Origin');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
      expect(exposed).toContain('x-request-id');
      expect(exposed).toContain('mcp-session-id');
      expect(exposed).toContain('mcp-protocol-version');
      expect(res.headers.get('mcp-session-id')).toBeTruthy();
      await res.body?.cancel();
      // Errors carry the CORS headers too, so browser clients can read them.
      const err = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { origin: ALLOWED_ORIGIN }, BROWSER);
      expect(err.status).toBe(400);
      expect(err.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      await err.body?.cancel();
    });

    it('answers a preflight with 204 and the CORS headers when the origin is allowed', async () => {
      const res = await fetch(url(BROWSER), {
        method: 'OPTIONS',
        headers: {
          origin: ALLOWED_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-custom',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE, OPTIONS');
      const allowHeaders = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      expect(allowHeaders).toContain('x-custom');
      expect(allowHeaders).toContain('mcp-session-id');
      expect(allowHeaders).toContain('mcp-protocol-version');
      expect(res.headers.get('access-control-max-age')).toBe('120');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    });

    it('uses the configured methods and headers in a preflight when the policy sets them', async () => {
      const { endpoint } = createTestEndpoint({
        prefix: '/acme/configured',
        cors: compiledCors([], { anyOrigin: true, allowMethods: 'POST, GET', allowHeaders: 'Authorization' }),
      });
      server.endpoints.set(endpoint.prefix, endpoint);
      const res = await fetch(url(endpoint.prefix), {
        method: 'OPTIONS',
        headers: { origin: 'https://any.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-other' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://any.example');
      expect(res.headers.get('access-control-allow-methods')).toBe('POST, GET');
      const allowHeaders = res.headers.get('access-control-allow-headers') ?? '';
      expect(allowHeaders).toStartWith('Authorization');
      expect(allowHeaders).toContain('Mcp-Session-Id');
      expect(allowHeaders).not.toContain('x-other');
      server.endpoints.delete(endpoint.prefix);
    });

    it('answers OPTIONS with 204 and Allow when there is no Origin', async () => {
      const res = await fetch(url(), { method: 'OPTIONS' });
      expect(res.status).toBe(204);
      expect(res.headers.get('allow')).toBe('GET, POST, DELETE, OPTIONS');
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
