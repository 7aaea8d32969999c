/**
 * Session lifecycle across the transport: idle expiry (injected clock), reloads that remove a prefix,
 * graceful drain, and the metrics hooks.
 */
import { afterEach, describe, expect, it } from 'bun:test';
import { createTestEndpoint, serveTransport, SseReader, type TransportServer, until } from '../../test/support/mcp-fixture.ts';
import { McpTransport, type McpTransportOptions, type TransportHooks } from './index.ts';

const PREFIX = '/acme/tickets';
const ACCEPT = 'application/json, text/event-stream';

const servers: TransportServer[] = [];
const transports: McpTransport[] = [];

afterEach(async () => {
  for (const t of transports.splice(0)) await t.drain(50);
  for (const s of servers.splice(0)) await s.stop();
});

function setup(opts: Partial<McpTransportOptions> = {}) {
  const { endpoint, probe } = createTestEndpoint({ prefix: PREFIX });
  const transport = new McpTransport({ maxRequestBytes: 1 << 16, ...opts });
  const server = serveTransport(transport, [endpoint]);
  transports.push(transport);
  servers.push(server);
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${PREFIX}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      body: JSON.stringify(body),
    });
  const open = async (): Promise<Record<string, string>> => {
    const res = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '0' } } });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    return { 'mcp-session-id': res.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
  };
  return { transport, server, endpoint, probe, post, open };
}

const ping = (id: number | string = 2) => ({ jsonrpc: '2.0', id, method: 'ping' });

describe('mcp session lifecycle', () => {
  it('expires an idle streamable session when the injected clock passes sessionIdleMs', async () => {
    let now = 1_000_000;
    const { transport, post, open } = setup({ sessionIdleMs: 60_000, now: () => now });
    const session = await open();
    now += 59_000;
    expect((await post(ping(), session)).status).toBe(200);
    // Activity refreshed the session: another 59 s is still fine.
    now += 59_000;
    expect((await post(ping(3), session)).status).toBe(200);
    now += 60_001;
    expect((await post(ping(4), session)).status).toBe(404);
    expect(transport.counts().streamable).toBe(0);
    expect(transport.inspect().sweepTimer).toBe(false);
  });

  it('sweeps idle sessions without a request when the sweep runs', async () => {
    let now = 0;
    const { transport, open } = setup({ sessionIdleMs: 1000, now: () => now });
    await open();
    await open();
    expect(transport.counts().streamable).toBe(2);
    now += 999;
    expect(transport.sweep()).toBe(0);
    now += 2;
    expect(transport.sweep()).toBe(2);
    expect(transport.counts().streamable).toBe(0);
  });

  it('keeps a session alive while its GET stream is open', async () => {
    let now = 0;
    const { transport, server, open, post } = setup({ sessionIdleMs: 1000, now: () => now });
    const session = await open();
    const controller = new AbortController();
    const res = await fetch(`${server.url}${PREFIX}/mcp`, { headers: { ...session, accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    now += 10_000;
    expect(transport.sweep()).toBe(0);
    expect((await post(ping(), session)).status).toBe(200);
    controller.abort();
    await until(() => transport.inspect().streams === 0, 2000, 'the stream to close');
    now += 1001;
    expect(transport.sweep()).toBe(1);
  });

  it('ends sessions of a prefix that disappeared when the table is swapped', async () => {
    const { transport, server, open, post } = setup();
    const session = await open();
    const sse = await fetch(`${server.url}${PREFIX}/sse`, { headers: { accept: 'text/event-stream' } });
    const reader = new SseReader(sse);
    expect((await reader.next()).event).toBe('endpoint');
    expect(transport.counts()).toEqual({ streamable: 1, sse: 1 });
    transport.onTableSwap(() => undefined);
    expect(transport.counts()).toEqual({ streamable: 0, sse: 0 });
    expect(await reader.rest()).toEqual([]);
    expect((await post(ping(), session)).status).toBe(404);
  });

  it('keeps sessions and sends nothing when the listHash did not change', async () => {
    const { transport, server, endpoint, open } = setup();
    const session = await open();
    await (await fetch(`${server.url}${PREFIX}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', ...session }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).body?.cancel();
    const controller = new AbortController();
    const res = await fetch(`${server.url}${PREFIX}/mcp`, { headers: { ...session, accept: 'text/event-stream' }, signal: controller.signal });
    const reader = new SseReader(res);
    transport.onTableSwap(() => ({ ...endpoint }));
    transport.onTableSwap(() => ({ ...endpoint, listHash: 'changed' }));
    const event = await reader.next();
    expect(JSON.parse(event.data).method).toBe('notifications/tools/list_changed');
    expect(event.id).toBe('0-1');
    expect(transport.counts().streamable).toBe(1);
    controller.abort();
  });

  it('lets in-flight calls finish, refuses new requests with 503 and closes streams when draining', async () => {
    const { transport, server, probe, post, open } = setup();
    const session = await open();
    const controller = new AbortController();
    const stream = await fetch(`${server.url}${PREFIX}/mcp`, { headers: { ...session, accept: 'text/event-stream' }, signal: controller.signal });
    const getReader = new SseReader(stream);
    const legacy = new SseReader(await fetch(`${server.url}${PREFIX}/sse`, { headers: { accept: 'text/event-stream' } }));
    await legacy.next();
    const call = post({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'gate' } }, session);
    await until(() => transport.inspect().inflight === 1, 2000, 'the call to start');

    const drained = transport.drain(5000);
    const refused = await post(ping(), session);
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(-32000);
    const refusedSse = await fetch(`${server.url}${PREFIX}/sse`);
    expect(refusedSse.status).toBe(503);
    await refusedSse.body?.cancel();

    probe.releaseGate();
    const answer = await call;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { result: unknown }).result).toEqual({ content: [{ type: 'text', text: 'released' }] });
    await drained;
    expect(await getReader.rest()).toEqual([]);
    expect(await legacy.rest()).toEqual([]);
    expect(transport.counts()).toEqual({ streamable: 0, sse: 0 });
    expect(transport.inspect()).toEqual({ sessions: 0, streams: 0, keepAliveTimer: false, sweepTimer: false, inflight: 0 });
  });

  it('aborts calls still running at the deadline when draining', async () => {
    const { transport, probe, post, open } = setup();
    const session = await open();
    const waits = probe.waits.length;
    const call = post({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'wait' } }, session);
    await until(() => probe.waits.length > waits, 2000, 'the wait call');
    const started = Date.now();
    await transport.drain(50);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(probe.waits.at(-1)!.signal.aborted).toBe(true);
    // The drain abort is not a client cancellation: the answer still goes out.
    const answer = await call;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { result: { isError: boolean } }).result.isError).toBe(true);
  });

  it('reports requests, tool calls and sessions to the hooks', async () => {
    const rpc: string[] = [];
    const tools: string[] = [];
    const sessions: string[] = [];
    const hooks: TransportHooks = {
      onRpc: (ep, method, outcome, seconds) => {
        expect(ep.prefix).toBe(PREFIX);
        expect(seconds).toBeGreaterThanOrEqual(0);
        rpc.push(`${method}:${outcome}`);
      },
      onToolCall: (_ep, tool, outcome) => tools.push(`${tool}:${outcome}`),
      onSession: (kind, delta) => sessions.push(`${kind}${delta > 0 ? '+' : '-'}`),
    };
    const { server, post, open } = setup({ hooks });
    const session = await open();
    const call = (name: string, id: number) => post({ jsonrpc: '2.0', id, method: 'tools/call', params: { name } }, session).then((r) => r.text());
    await call('echo', 2);
    await call('fail', 3);
    await call('nope', 4);
    await call('boom', 5);
    await post({ jsonrpc: '2.0', id: 6, method: 'no/such' }, session).then((r) => r.text());
    await fetch(`${server.url}${PREFIX}/mcp`, { method: 'DELETE', headers: session });
    expect(rpc).toEqual(['initialize:ok', 'tools/call:ok', 'tools/call:ok', 'tools/call:error', 'tools/call:error', 'no/such:error']);
    expect(tools).toEqual(['echo:ok', 'fail:error', 'nope:rejected', 'boom:error']);
    expect(sessions).toEqual(['streamable+', 'streamable-']);
  });

  it('sends keep-alive comments on every open stream from one timer', async () => {
    const { transport, server, open } = setup({ keepAliveMs: 20 });
    const a = await open();
    const b = await open();
    const readers = await Promise.all(
      [a, b].map(async (s) => new SseReader(await fetch(`${server.url}${PREFIX}/mcp`, { headers: { ...s, accept: 'text/event-stream' } }))),
    );
    for (const r of readers) void r.next().catch(() => undefined);
    await until(() => readers.every((r) => r.comments >= 3), 2000, 'keep-alives on both streams');
    expect(transport.inspect().keepAliveTimer).toBe(true);
    for (const r of readers) await r.cancel();
    await until(() => !transport.inspect().keepAliveTimer, 2000, 'the keep-alive timer to stop');
  });
});
