/**
 * The gateway's HTTP rules, checked with raw fetch against a gateway on a loopback port: status codes
 * of the MCP transports (spec `basic/transports`), Origin checks and CORS, the legacy SSE endpoint
 * event, the static routes, and that dropped SSE sessions are released.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import type { Socket } from 'bun';
import { type DemoBackend, startDemoBackend } from '../demo/backend.ts';
import { loadSettings } from '../gateway/config/settings.ts';
import { type RunningGateway, startGateway } from '../gateway/gateway.ts';
import { createLogger } from '../gateway/obs/log.ts';
import { parseSse, SseReader } from './support/mcp-fixture.ts';

const REPO = join(import.meta.dir, 'fixtures', 'e2e-repo');
const REST = '/e2e/rest';
const BROWSER = '/e2e/browser';
const ALLOWED_ORIGIN = 'https://app.example';
const FOREIGN_ORIGIN = 'https://evil.example';
const PROTOCOL_VERSION = '2025-11-25';
const ACCEPT = 'application/json, text/event-stream';

interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: number | string | null;
  method?: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

const initializeRequest = (id: number | string = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'http-rules-test', version: '1.0.0' } },
});


/** The JSON-RPC messages of a POST answer, whether it came as JSON or as an SSE stream. */
async function messagesOf(res: Response): Promise<JsonRpcMessage[]> {
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  if (type.includes('application/json')) {
    const value = JSON.parse(text) as JsonRpcMessage | JsonRpcMessage[];
    return Array.isArray(value) ? value : [value];
  }
  if (type.includes('text/event-stream')) {
    return parseSse(text)
      .filter((e) => e.event === 'message' && e.data !== '')
      .map((e) => JSON.parse(e.data) as JsonRpcMessage);
  }
  return [];
}

let backend: DemoBackend;
let gateway: RunningGateway;

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(gateway.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Initializes a Streamable HTTP session and sends notifications/initialized; returns the session headers. */
async function openSession(prefix = REST): Promise<Record<string, string>> {
  const res = await post(`${prefix}/mcp`, initializeRequest());
  expect(res.status).toBe(200);
  const sessionId = res.headers.get('mcp-session-id');
  const [reply] = await messagesOf(res);
  expect(reply?.result?.protocolVersion).toBe(PROTOCOL_VERSION);
  expect(sessionId).toMatch(/^[\x21-\x7e]+$/);
  const headers = { 'mcp-session-id': sessionId!, 'mcp-protocol-version': PROTOCOL_VERSION };
  const initialized = await post(`${prefix}/mcp`, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  expect(initialized.status).toBe(202);
  await initialized.body?.cancel();
  return headers;
}

async function metricsText(): Promise<string> {
  const res = await fetch(`${gateway.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

async function sseSessionGauge(): Promise<number> {
  const match = /^mcp_sessions\{transport="sse"\} (\d+)/m.exec(await metricsText());
  if (!match) throw new Error('mcp_sessions{transport="sse"} is missing from /metrics');
  return Number(match[1]);
}

/** Opens a legacy SSE stream and reads its endpoint event. */
async function openLegacy(prefix: string, signal?: AbortSignal): Promise<{ res: Response; events: SseReader; endpoint: string }> {
  const res = await fetch(`${gateway.url}${prefix}/sse`, { headers: { accept: 'text/event-stream' }, signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type') ?? '').toStartWith('text/event-stream');
  const events = new SseReader(res);
  const endpoint = (await events.nextOf('endpoint')).data;
  return { res, events, endpoint };
}

/**
 * A GET over a raw socket, resolved as soon as the status line arrives: fetch resolves only on a
 * complete header block, which Bun's server holds back until a stream's first body bytes. The caller
 * ends the socket.
 */
function rawGet(path: string, headers: Record<string, string>): Promise<{ status: number; socket: Socket }> {
  const { hostname, port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    let head = '';
    let done = false;
    const timer = setTimeout(() => settle(new Error(`GET ${path}: no status line within 2000 ms`)), 2000);
    function settle(err: Error | undefined, value?: { status: number; socket: Socket }) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value!);
    }
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    Bun.connect({
      hostname,
      port: Number(port),
      socket: {
        open(socket) {
          socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${lines}\r\n`);
        },
        data(socket, chunk) {
          head += chunk.toString('latin1');
          if (head.includes('\r\n')) settle(undefined, { status: Number(head.slice(9, 12)), socket });
        },
        close() {
          settle(new Error(`GET ${path}: connection closed before the status line`));
        },
        connectError(_socket, err) {
          settle(err);
        },
      },
    }).catch((err: unknown) => settle(err instanceof Error ? err : new Error(String(err))));
  });
}

beforeAll(async () => {
  backend = startDemoBackend({ port: 0 });
  process.env.E2E_BACKEND_URL = backend.url;
  const { settings, issues } = loadSettings({
    argv: ['--config', REPO, '--host', '127.0.0.1', '--port', '0', '--allowed-networks', '127.0.0.1/32', '--env-allowlist', 'E2E_BACKEND_URL'],
    env: {},
  });
  expect(issues).toEqual([]);
  gateway = await startGateway(settings, { logger: createLogger('error') });
});

afterAll(async () => {
  await gateway?.stop(2000);
  await backend?.stop();
});

describe('gateway HTTP rules', () => {
  describe('Streamable HTTP', () => {
    it('answers 404 for an unknown prefix', async () => {
      const res = await post('/no/such/router/mcp', initializeRequest());
      expect(res.status).toBe(404);
      await res.body?.cancel();
      const other = await fetch(`${gateway.url}${REST}/not-an-endpoint`);
      expect(other.status).toBe(404);
      await other.body?.cancel();
    });

    it('answers 400 to a request without a session id', async () => {
      const res = await post(`${REST}/mcp`, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-protocol-version': PROTOCOL_VERSION });
      expect(res.status).toBe(400);
      await res.body?.cancel();
    });

    it('answers 400 to an unsupported MCP-Protocol-Version', async () => {
      const session = await openSession();
      const res = await post(`${REST}/mcp`, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { ...session, 'mcp-protocol-version': '1999-01-01' });
      expect(res.status).toBe(400);
      await res.body?.cancel();
      // The session itself is fine.
      const ok = await post(`${REST}/mcp`, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, session);
      expect(ok.status).toBe(200);
      const [reply] = await messagesOf(ok);
      expect(Array.isArray(reply?.result?.tools)).toBe(true);
    });

    it('answers 400 with a -32700 error to a body that is not JSON', async () => {
      const session = await openSession();
      const res = await post(`${REST}/mcp`, '{"jsonrpc": "2.0", "id": ', session);
      expect(res.status).toBe(400);
      const body = (await res.json()) as JsonRpcMessage;
      expect(body.jsonrpc).toBe('2.0');
      expect(body.error?.code).toBe(-32700);
    });

    it('answers 404 to an unknown session id', async () => {
      const res = await post(
        `${REST}/mcp`,
        { jsonrpc: '2.0', id: 2, method: 'tools/list' },
        { 'mcp-session-id': 'no-such-session', 'mcp-protocol-version': PROTOCOL_VERSION },
      );
      expect(res.status).toBe(404);
      await res.body?.cancel();
    });

    it('answers 404 to a session after DELETE', async () => {
      const session = await openSession();
      const del = await fetch(`${gateway.url}${REST}/mcp`, { method: 'DELETE', headers: session });
      expect([200, 204]).toContain(del.status);
      await del.body?.cancel();
      const after = await post(`${REST}/mcp`, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, session);
      expect(after.status).toBe(404);
      await after.body?.cancel();
      const again = await fetch(`${gateway.url}${REST}/mcp`, { method: 'DELETE', headers: session });
      expect(again.status).toBe(404);
      await again.body?.cancel();
    });

    it('answers 405 to PUT', async () => {
      const res = await fetch(`${gateway.url}${REST}/mcp`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(405);
      await res.body?.cancel();
    });

    it('answers 202 with no body to a notification', async () => {
      const session = await openSession();
      const res = await post(`${REST}/mcp`, { jsonrpc: '2.0', method: 'notifications/roots/list_changed' }, session);
      expect(res.status).toBe(202);
      expect(await res.text()).toBe('');
    });

    it('opens a GET stream for server messages on a live session', async () => {
      const session = await openSession();
      const controller = new AbortController();
      // Bun's server completes the header block only with the first body bytes: a stream that sends
      // nothing on open leaves the client waiting for headers until the first keep-alive (15 s).
      const res = await fetch(`${gateway.url}${REST}/mcp`, {
        headers: { ...session, accept: 'text/event-stream' },
        signal: AbortSignal.any([controller.signal, AbortSignal.timeout(2000)]),
      }).catch((err: unknown) => err);
      try {
        expect(res).toBeInstanceOf(Response);
        expect((res as Response).status).toBe(200);
        expect((res as Response).headers.get('content-type') ?? '').toStartWith('text/event-stream');
      } finally {
        controller.abort();
      }
    });

    it('releases a dropped GET stream so the session can open another', async () => {
      const session = await openSession();
      const first = await rawGet(`${REST}/mcp`, { ...session, accept: 'text/event-stream' });
      expect(first.status).toBe(200);
      const conflict = await rawGet(`${REST}/mcp`, { ...session, accept: 'text/event-stream' });
      expect(conflict.status).toBe(409);
      conflict.socket.end();
      first.socket.end();
      const deadline = Date.now() + 2000;
      let again = await rawGet(`${REST}/mcp`, { ...session, accept: 'text/event-stream' });
      while (again.status !== 200 && Date.now() < deadline) {
        again.socket.end();
        await Bun.sleep(20);
        again = await rawGet(`${REST}/mcp`, { ...session, accept: 'text/event-stream' });
      }
      again.socket.end();
      expect(again.status).toBe(200);
    });
  });

  describe('Origin and CORS', () => {
    it('answers 403 to a foreign Origin on POST, GET and OPTIONS', async () => {
      for (const prefix of [REST, BROWSER]) {
        const postRes = await post(`${prefix}/mcp`, initializeRequest(), { origin: FOREIGN_ORIGIN });
        expect(postRes.status).toBe(403);
        expect(postRes.headers.get('access-control-allow-origin')).toBeNull();
        await postRes.body?.cancel();

        const getRes = await fetch(`${gateway.url}${prefix}/mcp`, { headers: { accept: 'text/event-stream', origin: FOREIGN_ORIGIN } });
        expect(getRes.status).toBe(403);
        await getRes.body?.cancel();

        const preflight = await fetch(`${gateway.url}${prefix}/mcp`, {
          method: 'OPTIONS',
          headers: { origin: FOREIGN_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
        });
        expect(preflight.status).toBe(403);
        expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
        await preflight.body?.cancel();
      }
    });

    it('answers 403 to a foreign Origin on the legacy SSE endpoint', async () => {
      for (const prefix of [REST, BROWSER]) {
        const res = await fetch(`${gateway.url}${prefix}/sse`, { headers: { accept: 'text/event-stream', origin: FOREIGN_ORIGIN } });
        expect(res.status).toBe(403);
        await res.body?.cancel();
      }
    });

    it('answers a CORS preflight from the allowed origin with 204 and the CORS headers', async () => {
      const res = await fetch(`${gateway.url}${BROWSER}/mcp`, {
        method: 'OPTIONS',
        headers: {
          origin: ALLOWED_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, mcp-session-id, mcp-protocol-version',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect((res.headers.get('access-control-allow-methods') ?? '').toUpperCase()).toContain('POST');
      const allowHeaders = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      expect(allowHeaders).toContain('mcp-session-id');
      expect(allowHeaders).toContain('mcp-protocol-version');
      await res.body?.cancel();
    });

    it('echoes the allowed origin on POST and exposes the session header', async () => {
      const res = await post(`${BROWSER}/mcp`, initializeRequest(), { origin: ALLOWED_ORIGIN });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect((res.headers.get('access-control-expose-headers') ?? '').toLowerCase()).toContain('mcp-session-id');
      expect(res.headers.get('mcp-session-id')).toBeTruthy();
      const [reply] = await messagesOf(res);
      expect(reply?.result?.serverInfo).toBeDefined();
    });

    it('accepts requests without an Origin on a router without cors', async () => {
      const res = await post(`${REST}/mcp`, initializeRequest());
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      await res.body?.cancel();
    });
  });

  describe('legacy SSE', () => {
    it('sends the endpoint event with the message URL of the router', async () => {
      const controller = new AbortController();
      try {
        const { endpoint } = await openLegacy(REST, controller.signal);
        expect(endpoint).toMatch(/^\/e2e\/rest\/message\?sessionId=[\x21-\x7e]+$/);
      } finally {
        controller.abort();
      }
    });

    it('prepends the router ssePrefix to the endpoint event', async () => {
      const controller = new AbortController();
      try {
        const { endpoint } = await openLegacy(BROWSER, controller.signal);
        expect(endpoint).toMatch(/^\/gateway\/e2e\/browser\/message\?sessionId=[\x21-\x7e]+$/);
      } finally {
        controller.abort();
      }
    });

    it('answers POSTs with 202 and delivers results on the stream', async () => {
      const controller = new AbortController();
      try {
        const { events, endpoint } = await openLegacy(REST, controller.signal);
        const init = await post(endpoint, { ...initializeRequest(7), params: { ...initializeRequest(7).params, protocolVersion: '2024-11-05' } });
        expect(init.status).toBe(202);
        await init.body?.cancel();
        const initReply = JSON.parse((await events.nextOf('message')).data) as JsonRpcMessage;
        expect(initReply.id).toBe(7);
        expect(initReply.result?.protocolVersion).toBe('2024-11-05');

        const note = await post(endpoint, { jsonrpc: '2.0', method: 'notifications/initialized' });
        expect(note.status).toBe(202);
        await note.body?.cancel();

        const callRes = await post(endpoint, { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'get_user', arguments: { id: '3' } } });
        expect(callRes.status).toBe(202);
        await callRes.body?.cancel();
        const callReply = JSON.parse((await events.nextOf('message')).data) as JsonRpcMessage;
        expect(callReply.id).toBe(8);
        expect(callReply.result).toEqual({ content: [{ type: 'text', text: 'Grace Hopper <grace@example.com> (user)' }] });
      } finally {
        controller.abort();
      }
    });

    it('answers 404 to a POST for an unknown legacy session', async () => {
      const res = await post(`${REST}/message?sessionId=no-such-session`, initializeRequest());
      expect(res.status).toBe(404);
      await res.body?.cancel();
    });

    it('releases 1,000 dropped SSE sessions', async () => {
      const BATCH = 100;
      const TOTAL = 1000;
      const base = await sseSessionGauge();
      for (let opened = 0; opened < TOTAL; opened += BATCH) {
        const controllers = Array.from({ length: BATCH }, () => new AbortController());
        try {
          await Promise.all(controllers.map((c) => openLegacy(REST, c.signal)));
          if (opened === 0) expect(await sseSessionGauge()).toBeGreaterThanOrEqual(base + BATCH);
        } finally {
          for (const c of controllers) c.abort();
        }
      }
      const deadline = Date.now() + 5000;
      let live = await sseSessionGauge();
      while (live !== 0 && Date.now() < deadline) {
        await Bun.sleep(50);
        live = await sseSessionGauge();
      }
      expect(live).toBe(0);
      expect(gateway.transport.counts()).toMatchObject({ sse: 0 });
    }, 30_000);
  });

  describe('static routes', () => {
    it('answers /health_check with 200 and the revision', async () => {
      const res = await fetch(`${gateway.url}/health_check`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { status: string; revision: string };
      expect(body.status).toBe('ok');
      expect(body.revision).toMatch(/^dir@sha1:[0-9a-f]{40}$/);
    });

    it('reports the applied revision and the routers in /_status', async () => {
      const health = (await (await fetch(`${gateway.url}/health_check`)).json()) as { revision: string };
      const res = await fetch(`${gateway.url}/_status`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type') ?? '').toContain('application/json');
      const status = (await res.json()) as { lastAppliedRevision: string; routers: { prefix: string; tenant: string }[] };
      expect(status.lastAppliedRevision).toBe(health.revision);
      expect(status.routers.map((r) => r.prefix).sort()).toEqual([BROWSER, REST]);
      expect(status.routers.every((r) => r.tenant === 'e2e')).toBe(true);
    });

    it('counts requests and tool calls in /metrics', async () => {
      const session = await openSession();
      const res = await post(`${REST}/mcp`, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'get_user', arguments: { id: '1' } } }, session);
      expect(res.status).toBe(200);
      const [reply] = await messagesOf(res);
      expect(reply?.result?.isError ?? false).toBe(false);

      const metrics = await fetch(`${gateway.url}/metrics`);
      expect(metrics.headers.get('content-type') ?? '').toStartWith('text/plain');
      const text = await metrics.text();
      expect(text).toMatch(/^mcp_requests_total\{[^}]*method="tools\/call"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^tool_calls_total\{router="\/e2e\/rest",tool="get_user",outcome="ok"\} [1-9]/m);
    });
  });
});
