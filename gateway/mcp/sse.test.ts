/**
 * The legacy HTTP+SSE transport (spec 2024-11-05 `basic/transports` › HTTP with SSE), with raw fetch:
 * the endpoint event, 202 + push, status codes, header merging, and that dropped streams free their
 * sessions at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { compiledCors, createTestEndpoint, type EndpointProbe, serveTransport, SseReader, type TransportServer, until } from '../../test/support/mcp-fixture.ts';
import { McpTransport } from './index.ts';
import { messagePath } from './sse.ts';

const PREFIX = '/acme/tickets';
const OTHER = '/acme/other';
const PREFIXED = '/acme/prefixed';

interface RpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

let transport: McpTransport;
let server: TransportServer;
let probe: EndpointProbe;
let sessionDelta = 0;

beforeAll(() => {
  const main = createTestEndpoint({ prefix: PREFIX, cors: compiledCors(['https://app.example']) });
  probe = main.probe;
  transport = new McpTransport({
    maxRequestBytes: 4096,
    hooks: {
      onSession: (kind, delta) => {
        if (kind === 'sse') sessionDelta += delta;
      },
    },
  });
  server = serveTransport(transport, [
    main.endpoint,
    createTestEndpoint({ prefix: OTHER }).endpoint,
    createTestEndpoint({ prefix: PREFIXED, ssePrefix: '/gateway/' }).endpoint,
  ]);
});

afterAll(async () => {
  await transport.drain(100);
  await server.stop();
});

interface Legacy {
  events: SseReader;
  endpoint: string;
  close(): void;
}

async function openLegacy(prefix = PREFIX, headers: Record<string, string> = {}, query = ''): Promise<Legacy> {
  const controller = new AbortController();
  const res = await fetch(`${server.url}${prefix}/sse${query}`, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toStartWith('text/event-stream');
  const events = new SseReader(res);
  const first = await events.next();
  expect(first.event).toBe('endpoint');
  return { events, endpoint: first.data, close: () => controller.abort() };
}

function postTo(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function nextMessage(legacy: Legacy): Promise<RpcMessage> {
  for (;;) {
    const e = await legacy.events.next();
    if (e.event === 'message') return JSON.parse(e.data) as RpcMessage;
  }
}

async function expectRpcError(res: Response, status: number, code: number): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as RpcMessage;
  expect(body.error?.code).toBe(code);
  expect(body.id).toBeNull();
}

const initialize = (version: string, id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'legacy-test', version: '0' } },
});

describe('mcp legacy sse', () => {
  it('announces the message URL of the prefix in the first event when the stream opens', async () => {
    const legacy = await openLegacy();
    expect(legacy.endpoint).toMatch(/^\/acme\/tickets\/message\?sessionId=[\x21-\x7e]+$/);
    legacy.close();
  });

  it('prepends the ssePrefix with exactly one slash when the router has one', async () => {
    const legacy = await openLegacy(PREFIXED);
    expect(legacy.endpoint).toMatch(/^\/gateway\/acme\/prefixed\/message\?sessionId=[\x21-\x7e]+$/);
    legacy.close();
  });

  it('joins ssePrefix and prefix with one slash whatever their slashes', () => {
    expect(messagePath('', '/a/b')).toBe('/a/b/message');
    expect(messagePath('/gw', '/a')).toBe('/gw/a/message');
    expect(messagePath('/gw//', '/a')).toBe('/gw/a/message');
    expect(messagePath('gw', '/a')).toBe('/gw/a/message');
    expect(messagePath('https://mcp.example/gw/', '/a')).toBe('https://mcp.example/gw/a/message');
  });

  it('answers 202 Accepted and pushes the answer as a message event when a request is POSTed', async () => {
    const legacy = await openLegacy();
    const res = await postTo(legacy.endpoint, initialize('2024-11-05', 7));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('Accepted');
    const reply = await nextMessage(legacy);
    expect(reply.id).toBe(7);
    expect(reply.result?.protocolVersion).toBe('2024-11-05');
    const note = await postTo(legacy.endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(note.status).toBe(202);
    await postTo(legacy.endpoint, { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'echo', arguments: { x: 1 } } });
    expect((await nextMessage(legacy)).result).toEqual({ content: [{ type: 'text', text: '{"x":1}' }] });
    legacy.close();
  });

  it('answers 2024-11-05 when a legacy client asks for an unsupported version', async () => {
    const legacy = await openLegacy();
    await postTo(legacy.endpoint, initialize('2023-01-01'));
    expect((await nextMessage(legacy)).result?.protocolVersion).toBe('2024-11-05');
    legacy.close();
  });

  it('serves requests sent before initialize (clients pipeline them)', async () => {
    const legacy = await openLegacy();
    await postTo(legacy.endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(Array.isArray((await nextMessage(legacy)).result?.tools)).toBe(true);
    legacy.close();
  });

  it('pushes -32600 when initialize is sent twice', async () => {
    const legacy = await openLegacy();
    await postTo(legacy.endpoint, initialize('2024-11-05', 1));
    await nextMessage(legacy);
    await postTo(legacy.endpoint, initialize('2024-11-05', 2));
    const again = await nextMessage(legacy);
    expect(again.id).toBe(2);
    expect(again.error?.code).toBe(-32600);
    legacy.close();
  });

  it('pushes progress notifications before the answer when the request carries a progressToken', async () => {
    const legacy = await openLegacy();
    await postTo(legacy.endpoint, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'progress', arguments: { steps: 2 }, _meta: { progressToken: 9 } } });
    const a = await nextMessage(legacy);
    const b = await nextMessage(legacy);
    const answer = await nextMessage(legacy);
    expect([a.method, b.method]).toEqual(['notifications/progress', 'notifications/progress']);
    expect(a.params).toEqual({ progressToken: 9, progress: 1, total: 2, message: 'step 1' });
    expect(answer.id).toBe(4);
    legacy.close();
  });

  it('accepts batches under 2024-11-05 and refuses them under 2025-06-18', async () => {
    const legacy = await openLegacy();
    const batch = await postTo(legacy.endpoint, [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ]);
    expect(batch.status).toBe(202);
    const ids = [(await nextMessage(legacy)).id, (await nextMessage(legacy)).id];
    expect(ids.sort()).toEqual([1, 2]);
    await postTo(legacy.endpoint, initialize('2025-06-18', 3));
    expect((await nextMessage(legacy)).result?.protocolVersion).toBe('2025-06-18');
    const refused = await postTo(legacy.endpoint, [{ jsonrpc: '2.0', id: 4, method: 'ping' }]);
    await expectRpcError(refused, 400, -32600);
    legacy.close();
  });

  it('answers 400 when sessionId is missing and 404 when it is unknown', async () => {
    await expectRpcError(await postTo(`${PREFIX}/message`, { jsonrpc: '2.0', id: 1, method: 'ping' }), 400, -32000);
    await expectRpcError(await postTo(`${PREFIX}/message?sessionId=`, { jsonrpc: '2.0', id: 1, method: 'ping' }), 400, -32000);
    await expectRpcError(await postTo(`${PREFIX}/message?sessionId=nope`, { jsonrpc: '2.0', id: 1, method: 'ping' }), 404, -32001);
  });

  it('answers 404 when the session belongs to another prefix or to Streamable HTTP', async () => {
    const legacy = await openLegacy();
    const id = new URLSearchParams(legacy.endpoint.split('?')[1]).get('sessionId')!;
    await expectRpcError(await postTo(`${OTHER}/message?sessionId=${id}`, { jsonrpc: '2.0', id: 1, method: 'ping' }), 404, -32001);
    const init = await fetch(`${server.url}${PREFIX}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(initialize('2025-11-25')),
    });
    const streamableId = init.headers.get('mcp-session-id')!;
    await expectRpcError(await postTo(`${PREFIX}/message?sessionId=${streamableId}`, { jsonrpc: '2.0', id: 1, method: 'ping' }), 404, -32001);
    // And a legacy id is no Streamable HTTP session.
    const res = await fetch(`${server.url}${PREFIX}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mcp-session-id': id },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(404);
    legacy.close();
  });

  it('answers 400 with the JSON-RPC error when the POSTed body is malformed', async () => {
    const legacy = await openLegacy();
    const parse = await postTo(legacy.endpoint, '{oops');
    expect(parse.status).toBe(400);
    const body = (await parse.json()) as RpcMessage;
    expect(body.error?.code).toBe(-32700);
    expect(body.error?.message).toStartWith('Parse error: ');
    await expectRpcError(await postTo(legacy.endpoint, { jsonrpc: '2.0' }), 400, -32600);
    legacy.close();
  });

  it('answers 413 and 415 when the body is too large or not JSON', async () => {
    const legacy = await openLegacy();
    await expectRpcError(await postTo(legacy.endpoint, { jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(5000) } }), 413, -32000);
    await expectRpcError(await postTo(legacy.endpoint, '{}', { 'content-type': 'text/plain' }), 415, -32000);
    legacy.close();
  });

  it('answers 405 when /sse is POSTed or /message is fetched with GET', async () => {
    const a = await fetch(`${server.url}${PREFIX}/sse`, { method: 'POST', body: '{}' });
    expect(a.status).toBe(405);
    expect(a.headers.get('allow')).toBe('GET, OPTIONS');
    const b = await fetch(`${server.url}${PREFIX}/message?sessionId=x`);
    expect(b.status).toBe(405);
    expect(b.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('answers 403 when the Origin is foreign on /sse and /message', async () => {
    const sse = await fetch(`${server.url}${PREFIX}/sse`, { headers: { accept: 'text/event-stream', origin: 'https://evil.example' } });
    await expectRpcError(sse, 403, -32000);
    const legacy = await openLegacy();
    await expectRpcError(await postTo(legacy.endpoint, { jsonrpc: '2.0', id: 1, method: 'ping' }, { origin: 'https://evil.example' }), 403, -32000);
    legacy.close();
  });

  it('echoes an allowed Origin on the stream and on /message', async () => {
    const legacy = await openLegacy(PREFIX, { origin: 'https://app.example' });
    const res = await postTo(legacy.endpoint, { jsonrpc: '2.0', id: 1, method: 'ping' }, { origin: 'https://app.example' });
    expect(res.status).toBe(202);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    legacy.close();
  });

  it('merges the stream request headers, query and cookies under the POST ones when a tool reads them', async () => {
    const legacy = await openLegacy(PREFIX, { 'x-user-id': 'from-get', 'x-tenant': 'acme', cookie: 'a=1; b=2' }, '?region=eu&mode=get');
    await postTo(`${legacy.endpoint}&mode=post`, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami' } }, { 'x-user-id': 'from-post', cookie: 'b=3' });
    const reply = await nextMessage(legacy);
    expect(JSON.parse((reply.result?.content as { text: string }[])[0]!.text).user).toBe('from-post');
    const view = probe.requests.at(-1)!;
    expect(view.headers['X-Tenant']).toBe('acme');
    expect(view.headers['X-User-Id']).toBe('from-post');
    expect(view.query.region).toBe('eu');
    expect(view.query.mode).toBe('post');
    expect(view.cookies).toEqual({ a: '1', b: '3' });
    legacy.close();
  });

  it('frees the session and aborts its calls the moment the client disconnects', async () => {
    // Streams dropped by earlier tests close asynchronously.
    await until(() => transport.counts().sse === 0, 2000, 'earlier sessions to close');
    const legacy = await openLegacy();
    expect(transport.counts().sse).toBe(1);
    const waits = probe.waits.length;
    await postTo(legacy.endpoint, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wait' } });
    await until(() => probe.waits.length > waits, 2000, 'the wait call');
    legacy.close();
    await until(() => transport.counts().sse === 0, 2000, 'the session to be freed');
    await until(() => probe.waits.at(-1)!.signal.aborted, 2000, 'the call to be aborted');
    expect((await postTo(legacy.endpoint, { jsonrpc: '2.0', id: 2, method: 'ping' })).status).toBe(404);
  });

  it('returns to zero sessions and no keep-alive timer when 1,000 streams are opened and dropped', async () => {
    await until(() => transport.counts().sse === 0, 2000, 'earlier sessions to close');
    const deltaBefore = sessionDelta;
    const started = Date.now();
    const BATCH = 250;
    for (let opened = 0; opened < 1000; opened += BATCH) {
      const controllers = Array.from({ length: BATCH }, () => new AbortController());
      const responses = await Promise.all(
        controllers.map((c) => fetch(`${server.url}${PREFIX}/sse`, { headers: { accept: 'text/event-stream' }, signal: c.signal })),
      );
      // Read the endpoint event so each stream is really flowing before it is dropped.
      await Promise.all(responses.map((r) => r.body!.getReader().read()));
      expect(transport.counts().sse).toBeGreaterThanOrEqual(BATCH);
      for (const c of controllers) c.abort();
    }
    await until(() => transport.counts().sse === 0, 5000, 'all sessions to be freed');
    expect(sessionDelta).toBe(deltaBefore);
    const state = transport.inspect();
    expect(state.streams).toBe(0);
    expect(state.keepAliveTimer).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
