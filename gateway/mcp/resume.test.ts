/**
 * Resumable Streamable HTTP streams (spec `basic/transports` › Resumability and Redelivery): event ids,
 * Last-Event-ID replay per stream, the bounds of the event log, and that legacy SSE has none of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import type { Endpoint } from '../routing/endpoint.ts';
import { createTestEndpoint, parseSse, serveTransport, type SseEvent, SseReader, type TransportServer, until } from '../../test/support/mcp-fixture.ts';
import { McpTransport } from './index.ts';
import { EventLog, parseEventId } from './resume.ts';

const PREFIX = '/resume/me';
const ACCEPT = 'application/json, text/event-stream';

let transport: McpTransport;
let server: TransportServer;
let endpoint: Endpoint;
let hash = 0;
/** Resolves the pending `slow` call. */
let releaseSlow: (() => void) | undefined;

beforeAll(() => {
  const base = createTestEndpoint({ prefix: PREFIX }).endpoint;
  endpoint = {
    ...base,
    callTool: async (name, args, ctx) => {
      if (name !== 'slow') return base.callTool(name, args, ctx);
      ctx.progress?.(1, 2, 'started');
      await new Promise<void>((resolve) => (releaseSlow = resolve));
      ctx.progress?.(2, 2, 'finishing');
      return { content: [{ type: 'text', text: 'slow done' }] };
    },
  };
  transport = new McpTransport({ maxRequestBytes: 65536, keepAliveMs: 1000 });
  server = serveTransport(transport, [endpoint]);
});

afterAll(async () => {
  await transport.drain(100);
  await server.stop();
});

const url = () => `${server.url}${PREFIX}/mcp`;

function post(body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url(), { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify(body), signal });
}

async function openSession(): Promise<Record<string, string>> {
  const res = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'resume-test', version: '1' } } });
  expect(res.status).toBe(200);
  await res.body?.cancel();
  const headers = { 'mcp-session-id': res.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
  const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  expect(note.status).toBe(202);
  return headers;
}

function get(session: Record<string, string>, lastEventId?: string, signal?: AbortSignal): Promise<Response> {
  const headers: Record<string, string> = { ...session, accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  return fetch(url(), { headers, signal });
}

/** A route-table swap that changes the listHash: tools and prompts list_changed on every session. */
function swap(): void {
  const next = { ...endpoint, listHash: `swapped-${++hash}` };
  transport.onTableSwap((prefix) => (prefix === PREFIX ? next : undefined));
}

async function take(reader: SseReader, n: number): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for (let i = 0; i < n; i++) out.push(await reader.next());
  return out;
}

function methods(events: SseEvent[]): (string | undefined)[] {
  return events.map((e) => (JSON.parse(e.data) as { method?: string }).method);
}

describe('mcp resumability', () => {
  it('parses only <stream>-<seq> ids', () => {
    expect(parseEventId('0-12')).toEqual({ stream: 0, seq: 12 });
    expect(parseEventId('3-1')).toEqual({ stream: 3, seq: 1 });
    for (const bad of ['', '12', 'a-1', '1-', '-1', '1-2-3', '1.5-2']) expect(parseEventId(bad)).toBeUndefined();
  });

  it('keeps the last N events per stream and respects the byte cap, oldest first', () => {
    const log = new EventLog({ eventsPerStream: 3, bytes: 1000, streams: 4 });
    for (let i = 1; i <= 5; i++) log.record(0, i, `{"n":${i}}`);
    expect(log.after(0, 0).map(([id]) => id)).toEqual(['0-3', '0-4', '0-5']);
    const big = 'x'.repeat(300);
    for (let i = 1; i <= 3; i++) log.record(1, i, big);
    // 3 × 364 bytes of stream 1 exceed 1000 with stream 0's: the oldest events go first.
    expect(log.byteSize).toBeLessThanOrEqual(1000);
    expect(log.after(0, 0)).toEqual([]);
    expect(log.after(1, 0).map(([id]) => id)).toEqual(['1-2', '1-3']);
    // An event above the cap is not kept, nor are the older events of its stream (no gap).
    log.record(1, 4, 'y'.repeat(2000));
    expect(log.after(1, 0)).toEqual([]);
    for (let s = 2; s <= 7; s++) log.record(s, 1, '{}');
    expect(log.after(2, 0)).toEqual([]);
    expect(log.after(7, 0).length).toBe(1);
  });

  it('gives GET events ids and replays exactly the missed ones, in order, after a reconnect', async () => {
    const session = await openSession();
    const controller = new AbortController();
    const reader = new SseReader(await get(session, undefined, controller.signal));
    swap();
    const seen = await take(reader, 2);
    expect(seen.map((e) => e.id)).toEqual(['0-1', '0-2']);
    controller.abort();
    await until(() => transport.inspect().streams === 0, 2000, 'the GET stream to close');
    swap();
    swap();
    const res = await get(session, seen[1]!.id);
    expect(res.status).toBe(200);
    const resumed = new SseReader(res);
    const missed = await take(resumed, 4);
    expect(missed.map((e) => e.id)).toEqual(['0-3', '0-4', '0-5', '0-6']);
    expect(methods(missed)).toEqual([
      'notifications/tools/list_changed',
      'notifications/prompts/list_changed',
      'notifications/tools/list_changed',
      'notifications/prompts/list_changed',
    ]);
    // It goes on as the GET stream: new events follow, with no duplicates.
    swap();
    expect((await take(resumed, 2)).map((e) => e.id)).toEqual(['0-7', '0-8']);
    // A plain second GET still conflicts; a resume replaces the open one.
    const second = await get(session);
    expect(second.status).toBe(409);
    await second.body?.cancel();
    const again = new SseReader(await get(session, '0-7'));
    expect((await again.next()).id).toBe('0-8');
    await again.cancel();
  });

  it('answers 400 to a malformed Last-Event-ID and opens the stream for an unknown one', async () => {
    const session = await openSession();
    const bad = await get(session, 'not-an-id');
    expect(bad.status).toBe(400);
    await bad.body?.cancel();
    const unknown = await get(session, '42-7');
    expect(unknown.status).toBe(200);
    const reader = new SseReader(unknown);
    swap();
    expect((await reader.next()).id).toBe('0-1');
    await reader.cancel();
  });

  it('evicts old events beyond the per-stream bound', async () => {
    const session = await openSession();
    const controller = new AbortController();
    const reader = new SseReader(await get(session, undefined, controller.signal));
    swap();
    await take(reader, 2);
    controller.abort();
    await until(() => transport.inspect().streams === 0, 2000, 'the GET stream to close');
    for (let i = 0; i < 60; i++) swap(); // 120 events, 100 kept
    const resumed = new SseReader(await get(session, '0-2'));
    const replay = await take(resumed, 100);
    expect(replay[0]!.id).toBe('0-23');
    expect(replay[99]!.id).toBe('0-122');
    await resumed.cancel();
  });

  it('delivers the answer of a POST stream dropped before it on a GET resume, with its id', async () => {
    const session = await openSession();
    const get0 = new AbortController();
    const getReader = new SseReader(await get(session, undefined, get0.signal));
    const controller = new AbortController();
    const res = await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'slow', arguments: {}, _meta: { progressToken: 'p' } } }, session, controller.signal);
    expect(res.headers.get('content-type')).toStartWith('text/event-stream');
    const reader = new SseReader(res);
    const first = await reader.next();
    expect(JSON.parse(first.data).method).toBe('notifications/progress');
    const [stream] = first.id!.split('-');
    expect(stream).not.toBe('0');
    expect(first.id).toBe(`${stream}-1`);
    controller.abort();
    await until(() => releaseSlow !== undefined, 2000, 'the slow call');
    // Events of the GET stream meanwhile are not replayed on the POST stream.
    swap();
    expect((await take(getReader, 2)).map((e) => e.id)).toEqual(['0-1', '0-2']);
    const resumed = await get(session, first.id);
    expect(resumed.status).toBe(200);
    const resumedReader = new SseReader(resumed);
    releaseSlow!();
    releaseSlow = undefined;
    const rest = await resumedReader.rest();
    expect(rest.map((e) => e.id)).toEqual([`${stream}-2`, `${stream}-3`]);
    expect(JSON.parse(rest[0]!.data).method).toBe('notifications/progress');
    const answer = JSON.parse(rest[1]!.data) as { id: number; result: { content: { text: string }[] } };
    expect(answer.id).toBe(7);
    expect(answer.result.content[0]!.text).toBe('slow done');
    // The finished stream can still be replayed from the log, then the connection ends.
    const replay = parseSse(await (await get(session, first.id)).text());
    expect(replay.map((e) => e.id)).toEqual([`${stream}-2`, `${stream}-3`]);
    // And the GET stream's own resume never returns the POST stream's events.
    const getResume = new SseReader(await get(session, '0-0'));
    expect((await take(getResume, 2)).map((e) => e.id)).toEqual(['0-1', '0-2']);
    swap();
    expect((await take(getResume, 2)).map((e) => e.id)).toEqual(['0-3', '0-4']);
    await getResume.cancel();
    get0.abort();
  });

  it('leaves legacy SSE without ids or a log', async () => {
    const res = await fetch(`${server.url}${PREFIX}/sse`, { headers: { accept: 'text/event-stream' } });
    const reader = new SseReader(res);
    const endpointEvent = await reader.next();
    expect(endpointEvent.event).toBe('endpoint');
    const path = endpointEvent.data;
    const sessionId = new URL(path, server.url).searchParams.get('sessionId')!;
    const init = await fetch(new URL(path, server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'legacy', version: '1' } } }),
    });
    expect(init.status).toBe(202);
    const answer = await reader.next();
    expect(answer.id).toBeUndefined();
    swap();
    const changed = await reader.next();
    expect(changed.id).toBeUndefined();
    const legacy = [...transport['core'].store.values()].find((s) => s.id === sessionId)!;
    expect(legacy.events).toBeUndefined();
    await reader.cancel();
  });
});
