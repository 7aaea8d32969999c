import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, deflateSync } from 'node:zlib';
import { type DemoBackend, startDemoBackend } from '../../demo/backend.ts';
import type { McpConfig, Tool as ToolSpec } from '../config/schema.ts';
import type { CallContext, CallToolResult } from '../routing/endpoint.ts';
import { canonicalHeaderName, durationMs, GATEWAY_VERSION, type ToolRuntime } from './http-tool.ts';
import { compileRestEndpoint, type RestEndpoint } from './rest-endpoint.ts';
import { createSsrfGuard } from './ssrf.ts';

interface Echo {
  method: string;
  path: string;
  rawQuery: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  contentType: string | null;
  body: unknown;
  form: Record<string, unknown> | null;
}

const SECRET = 'tok-very-secret-123';
const ENV: Record<string, string> = { API_TOKEN: SECRET };

let demo: DemoBackend;
let other: DemoBackend;
/** Loopback helpers for what the demo backend does not serve: stacked encodings, endless redirects. */
let extra: ReturnType<typeof Bun.serve>;
let extraUrl: string;

beforeAll(() => {
  demo = startDemoBackend({ port: 0 });
  other = startDemoBackend({ port: 0 });
  extra = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === '/stacked') {
        const body = gzipSync(deflateSync(Buffer.from(JSON.stringify({ stacked: true }))));
        return new Response(body, { headers: { 'content-type': 'application/json', 'content-encoding': 'deflate, gzip' } });
      }
      if (url.pathname === '/see-other') {
        return new Response(null, { status: Number(url.searchParams.get('status')), headers: { location: url.searchParams.get('to')! } });
      }
      if (url.pathname === '/loop') return new Response(null, { status: 302, headers: { location: '/loop' } });
      if (url.pathname === '/array') return Response.json([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
      return new Response('not found', { status: 404 });
    },
  });
  extraUrl = `http://127.0.0.1:${extra.port}`;
});

afterAll(async () => {
  await demo.stop();
  await other.stop();
  await extra.stop(true);
});

function runtime(overrides: Partial<ToolRuntime> = {}): ToolRuntime {
  return {
    env: (name) => ENV[name],
    guard: createSsrfGuard({ allowedNetworks: ['127.0.0.1'] }),
    defaultTimeoutMs: 5000,
    maxResponseBytes: 1 << 20,
    ...overrides,
  };
}

function endpointFor(
  tools: ToolSpec[],
  opts: { config?: Record<string, string>; runtime?: ToolRuntime } = {},
): RestEndpoint {
  const server = { name: 'api', description: 'Demo API', allowedTools: tools.map((t) => t.name), config: { base: demo.url, ...opts.config } };
  const router = { server: 'api', prefix: '/acme/api' };
  const config: McpConfig = { name: 'demo', tenant: 'acme', routers: [router], servers: [server], tools };
  return compileRestEndpoint({ config, router, server, revision: 'main@sha1:test' }, opts.runtime ?? runtime());
}

function ctx(headers: Record<string, string> = {}, signal: AbortSignal = new AbortController().signal): CallContext {
  return { request: { headers, query: {}, cookies: {} }, signal };
}

/** Compiles one tool and calls it. */
async function callTool(
  tool: ToolSpec,
  args: Record<string, unknown> = {},
  opts: { headers?: Record<string, string>; signal?: AbortSignal; config?: Record<string, string>; runtime?: ToolRuntime } = {},
): Promise<CallToolResult> {
  const endpoint = endpointFor([tool], opts);
  return endpoint.callTool(tool.name, args, ctx(opts.headers, opts.signal));
}

function text(result: CallToolResult): string {
  const block = result.content[0];
  if (!block || block.type !== 'text') throw new Error(`expected text content, got ${JSON.stringify(result)}`);
  return block.text;
}

function echoOf(result: CallToolResult): Echo {
  expect(result.isError).toBeUndefined();
  return JSON.parse(text(result)) as Echo;
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

/** What a forward proxy received: the request line's target (absolute-form) and the headers. */
interface ProxySeen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * A real HTTP forward proxy on loopback: takes absolute-form requests (`GET http://host:port/path`),
 * records them, and forwards them to the target with fetch (redirects passed back, not followed).
 */
async function startForwardProxy(): Promise<{ port: number; seen: ProxySeen[]; close: () => Promise<void> }> {
  const seen: ProxySeen[] = [];
  const skip = new Set(['host', 'connection', 'proxy-connection', 'proxy-authorization', 'keep-alive', 'transfer-encoding', 'content-length']);
  const server = createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, headers: req.headers });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!skip.has(k) && typeof v === 'string') headers[k] = v;
      const init: BunFetchRequestInit = { method: req.method!, headers, redirect: 'manual', proxy: false };
      if (chunks.length > 0) init.body = Buffer.concat(chunks);
      try {
        const upstream = await fetch(req.url!, init);
        const body = Buffer.from(await upstream.arrayBuffer());
        const out: Record<string, string> = {};
        // fetch decoded the body, so its encoding and length headers no longer apply.
        upstream.headers.forEach((v, k) => {
          if (k !== 'content-encoding' && k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
        });
        res.writeHead(upstream.status, out);
        res.end(body);
      } catch {
        res.writeHead(502);
        res.end('bad gateway');
      }
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

const echoTool = (extra: Partial<ToolSpec> = {}): ToolSpec => ({
  name: 'echo',
  method: 'POST',
  endpoint: '{{.Config.base}}/echo/x',
  ...extra,
});

describe('http-tool', () => {
  describe('arguments', () => {
    it('sets header arguments as request headers when the position is header', async () => {
      const echo = echoOf(
        await callTool(echoTool({ args: [{ name: 'X-Trace', position: 'header', type: 'string' }, { name: 'X-Num', position: 'header', type: 'integer' }] }), {
          'X-Trace': 'abc',
          'X-Num': '7',
        }),
      );
      expect(echo.headers['x-trace']).toBe('abc');
      expect(echo.headers['x-num']).toBe('7');
    });

    it('appends query arguments with arrays as repeated keys and objects as JSON', async () => {
      const echo = echoOf(
        await callTool(
          echoTool({
            method: 'GET',
            endpoint: '{{.Config.base}}/echo/q?fixed=1',
            args: [
              { name: 'q', position: 'query', type: 'string' },
              { name: 'tags', position: 'query', type: 'array', items: { type: 'string' } },
              { name: 'filter', position: 'query', type: 'object' },
              { name: 'empty', position: 'query', type: 'string' },
            ],
          }),
          { q: 'a b&c', tags: ['x', 'y'], filter: { k: 1 }, empty: '' },
        ),
      );
      expect(echo.query).toEqual({ fixed: '1', q: 'a b&c', tags: ['x', 'y'], filter: '{"k":1}' });
    });

    for (const [id, path] of [
      ['a/b', '/echo/users/a%2Fb'],
      ['../x', '/echo/users/..%2Fx'],
      ['a b?c#d', '/echo/users/a%20b%3Fc%23d'],
    ] as const) {
      it(`URL-escapes the path argument ${JSON.stringify(id)} when it is rendered into the endpoint`, async () => {
        const echo = echoOf(
          await callTool(echoTool({ method: 'GET', endpoint: '{{.Config.base}}/echo/users/{{.Args.id}}', args: [{ name: 'id', position: 'path', type: 'string', required: true }] }), {
            id,
          }),
        );
        expect(echo.path).toBe(path);
      });
    }

    it('refuses a path argument of ".." when it would climb the path', async () => {
      const before = demo.stats.requests;
      const result = await callTool(echoTool({ method: 'GET', endpoint: '{{.Config.base}}/echo/users/{{.Args.id}}', args: [{ name: 'id', position: 'path', type: 'string' }] }), { id: '..' });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "echo": argument "id" must not be ".."' }] });
      expect(demo.stats.requests).toBe(before);
    });

    it('keeps path arguments unescaped in the body when they are used there too', async () => {
      const echo = echoOf(
        await callTool(
          echoTool({ endpoint: '{{.Config.base}}/echo/{{.Args.id}}', requestBody: '{"id": {{ toJSON .Args.id }}}', args: [{ name: 'id', position: 'path', type: 'string' }] }),
          { id: 'a/b' },
        ),
      );
      expect(echo.path).toBe('/echo/a%2Fb');
      expect(echo.body).toEqual({ id: 'a/b' });
    });

    it('renders the request body template with arrays and objects staying JSON', async () => {
      const echo = echoOf(
        await callTool(
          echoTool({
            args: [
              { name: 'title', position: 'body', type: 'string', required: true },
              { name: 'labels', position: 'body', type: 'array', default: '[]', items: { type: 'string' } },
              { name: 'extra', position: 'body', type: 'object', default: '{}' },
            ],
            requestBody: '{"title": {{ toJSON .Args.title }}, "labels": {{ .Args.labels }}, "extra": {{ toJSON .Args.extra }}}',
          }),
          { title: 'Say "hi"', labels: '["bug","ops"]', extra: { a: [1, 2] } },
        ),
      );
      expect(echo.contentType).toBe('application/json');
      expect(echo.body).toEqual({ title: 'Say "hi"', labels: ['bug', 'ops'], extra: { a: [1, 2] } });
    });

    it('sends a JSON object of the body arguments when there is no body template', async () => {
      const echo = echoOf(
        await callTool(
          echoTool({
            args: [
              { name: 'name', position: 'body', type: 'string' },
              { name: 'tags', position: 'body', type: 'array' },
              { name: 'prefs', position: 'body', type: 'object' },
              { name: 'age', position: 'body', type: 'integer' },
              { name: 'absent', position: 'body', type: 'string' },
            ],
          }),
          { name: 'Ada', tags: ['a', 'b'], prefs: '{"dark": true}', age: '36' },
        ),
      );
      expect(echo.contentType).toBe('application/json');
      expect(echo.body).toEqual({ name: 'Ada', tags: ['a', 'b'], prefs: { dark: true }, age: 36 });
    });

    it('sends every form-data argument as multipart fields when several are given', async () => {
      const echo = echoOf(
        await callTool(
          echoTool({
            headers: { 'Content-Type': 'multipart/form-data' },
            args: [
              { name: 'title', position: 'form-data', type: 'string' },
              { name: 'count', position: 'form-data', type: 'integer' },
              { name: 'tags', position: 'form-data', type: 'array' },
              { name: 'meta', position: 'form-data', type: 'object' },
            ],
          }),
          { title: 'hello', count: 3, tags: ['a', 'b'], meta: { k: 'v' } },
        ),
      );
      expect(echo.contentType).toStartWith('multipart/form-data; boundary=');
      expect(echo.form).toEqual({ title: 'hello', count: '3', tags: ['a', 'b'], meta: '{"k":"v"}' });
    });

    it('fills string and typed defaults when arguments are absent', async () => {
      const echo = echoOf(
        await callTool(
          echoTool({
            method: 'GET',
            endpoint: '{{.Config.base}}/echo/d',
            args: [
              { name: 'limit', position: 'query', type: 'integer', default: '20' },
              { name: 'page', position: 'query', type: 'integer', default: 2 },
              { name: 'verbose', position: 'query', type: 'boolean', default: 'false' },
            ],
          }),
        ),
      );
      expect(echo.query).toEqual({ limit: '20', page: '2', verbose: 'false' });
    });

    it('returns a tool error without any backend request when a required argument is missing', async () => {
      const before = demo.stats.requests;
      const result = await callTool({
        name: 'get_user',
        method: 'GET',
        endpoint: '{{.Config.base}}/users/{{.Args.id}}',
        args: [{ name: 'id', position: 'path', type: 'string', required: true }],
      });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "get_user": missing required argument "id"' }] });
      expect(demo.stats.requests).toBe(before);
    });

    it('returns a tool error naming the argument when a value cannot be coerced', async () => {
      const before = demo.stats.requests;
      const result = await callTool(echoTool({ args: [{ name: 'limit', position: 'query', type: 'integer' }] }), { limit: 'ten' });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "echo": argument "limit" must be an integer, got "ten"' }] });
      expect(demo.stats.requests).toBe(before);
    });

    it('keeps unknown extra arguments available to templates as .Args', async () => {
      const echo = echoOf(await callTool(echoTool({ requestBody: '{"x": {{ toJSON .Args.extra }}}' }), { extra: 'kept' }));
      expect(echo.body).toEqual({ x: 'kept' });
    });

    it('sends no body when the method is GET', async () => {
      const echo = echoOf(await callTool(echoTool({ method: 'get', requestBody: '{"a": 1}' })));
      expect(echo.method).toBe('GET');
      expect(echo.body).toBeNull();
    });
  });

  describe('headers', () => {
    const clientHeaders = { Authorization: 'Bearer client-token', 'X-Secret': 's3cret', 'X-User': 'u-1', Cookie: 'sid=1' };

    it('forwards no client header when the tool lists none', async () => {
      const echo = echoOf(await callTool(echoTool(), {}, { headers: clientHeaders }));
      expect(echo.headers.authorization).toBeUndefined();
      expect(echo.headers['x-secret']).toBeUndefined();
      expect(echo.headers['x-user']).toBeUndefined();
      expect(echo.headers.cookie).toBeUndefined();
      expect(echo.headers['user-agent']).toBe(`mcp-gateway/${GATEWAY_VERSION}`);
    });

    it('forwards client headers named in forwardHeaders case-insensitively but never hop-by-hop ones', async () => {
      const echo = echoOf(
        await callTool(echoTool({ forwardHeaders: ['authorization', 'X-USER', 'Connection', 'Host'] }), {}, {
          headers: { ...clientHeaders, Connection: 'close', Host: 'evil.example' },
        }),
      );
      expect(echo.headers.authorization).toBe('Bearer client-token');
      expect(echo.headers['x-user']).toBe('u-1');
      expect(echo.headers['x-secret']).toBeUndefined();
      expect(echo.headers.host).toBe(`127.0.0.1:${demo.port}`);
    });

    it('passes a client header when a template references it', async () => {
      const echo = echoOf(await callTool(echoTool({ headers: { 'X-Request-User': '{{ index .Request.Headers "X-User" }}' } }), {}, { headers: clientHeaders }));
      expect(echo.headers['x-request-user']).toBe('u-1');
      expect(echo.headers.authorization).toBeUndefined();
    });

    it('sends a header value that is not ASCII as fetch does', async () => {
      const echo = echoOf(await callTool(echoTool({ headers: { 'X-Name': 'Zoë' } })));
      expect(echo.headers['x-name']).toBe('Zoë');
    });

    it('omits a header when its template renders empty', async () => {
      const echo = echoOf(await callTool(echoTool({ headers: { 'X-Opt': '{{ index .Request.Headers "X-Missing" }}' } })));
      expect('x-opt' in echo.headers).toBe(false);
    });

    it('renders config values with env and request data when the tool uses them', async () => {
      const echo = echoOf(
        await callTool(
          echoTool({ headers: { Authorization: '{{ .Config.token }}', 'X-Tenant': '{{ .Config.tenant }}', 'User-Agent': 'custom/1' } }),
          {},
          { config: { token: 'Bearer {{ env "API_TOKEN" }}', tenant: '{{ index .Request.Headers "X-Tenant" }}' }, headers: { 'X-Tenant': 't-9' } },
        ),
      );
      expect(echo.headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(echo.headers['x-tenant']).toBe('t-9');
      expect(echo.headers['user-agent']).toBe('custom/1');
    });
  });

  describe('responses', () => {
    it('returns an image content block when the backend answers image/*', async () => {
      const result = await callTool({ name: 'img', method: 'GET', endpoint: '{{.Config.base}}/image.png' });
      const block = result.content[0];
      expect(block?.type).toBe('image');
      if (block?.type !== 'image') return;
      expect(block.mimeType).toBe('image/png');
      expect(Buffer.from(block.data, 'base64').subarray(1, 4).toString()).toBe('PNG');
    });

    it('returns an audio content block when the backend answers audio/*', async () => {
      const result = await callTool({ name: 'wav', method: 'GET', endpoint: '{{.Config.base}}/audio.wav' });
      const block = result.content[0];
      expect(block?.type).toBe('audio');
      if (block?.type !== 'audio') return;
      expect(block.mimeType).toBe('audio/wav');
      expect(Buffer.from(block.data, 'base64').subarray(0, 4).toString()).toBe('RIFF');
    });

    for (const encoding of ['gzip', 'deflate', 'br', 'zstd']) {
      it(`decodes the body when the backend answers Content-Encoding ${encoding}`, async () => {
        const result = await callTool({ name: 'z', method: 'GET', endpoint: `{{.Config.base}}/compressed/${encoding}` });
        expect(JSON.parse(text(result))).toEqual({ compressed: true, encoding });
      });
    }

    it('decodes stacked encodings when the backend applied several', async () => {
      const result = await callTool({ name: 'z', method: 'GET', endpoint: `${extraUrl}/stacked` });
      expect(JSON.parse(text(result))).toEqual({ stacked: true });
    });

    it('maps a 404 to an error result with status and body excerpt', async () => {
      const result = await callTool({
        name: 'get_user',
        method: 'GET',
        endpoint: '{{.Config.base}}/users/{{.Args.id}}',
        headers: { Authorization: 'Bearer {{ env "API_TOKEN" }}' },
        args: [{ name: 'id', position: 'path', type: 'string' }],
        responseBody: 'never {{ .Response.Body }}',
      }, { id: '999' });
      expect(result).toEqual({
        isError: true,
        content: [{ type: 'text', text: 'tool "get_user": backend answered 404 Not Found: {"error":{"code":"not_found","message":"user \\"999\\" not found"}}' }],
      });
    });

    it('maps a 503 to an error result and quotes at most 512 characters', async () => {
      const long = 'e'.repeat(2000);
      const result = await callTool({ name: 's', method: 'GET', endpoint: `{{.Config.base}}/status/503?body=${long}` });
      expect(result.isError).toBe(true);
      expect(text(result)).toBe(`tool "s": backend answered 503 Service Unavailable: ${'e'.repeat(512)}`);
    });

    it('renders responseBody over .Response.Data when the body is a JSON object', async () => {
      const result = await callTool({
        name: 'list_users',
        method: 'GET',
        endpoint: '{{.Config.base}}/users',
        responseBody: '{{ range .Response.Data.items }}#{{ .id }} {{ .name }};{{ end }} total={{ .Response.Data.total }} status={{ .Response.Status }}',
      });
      expect(text(result)).toBe('#1 Ada Lovelace;#2 Alan Turing;#3 Grace Hopper; total=3 status=200');
    });

    it('renders responseBody over .Response.Data when the body is a top-level array', async () => {
      const result = await callTool({ name: 'arr', method: 'GET', endpoint: `${extraUrl}/array`, responseBody: '{{ range .Response.Data }}{{ .name }}{{ end }} {{ len .Response.Data }}' });
      expect(text(result)).toBe('ab 2');
    });

    it('exposes the raw body and response headers when responseBody uses them', async () => {
      const result = await callTool({
        name: 'raw',
        method: 'GET',
        endpoint: '{{.Config.base}}/status/200?body=plain%20words',
        responseBody: '{{ .Response.Body }}|{{ index .Response.Headers "Content-Type" }}|{{ .Response.Data }}',
      });
      expect(text(result)).toBe('plain words|text/plain; charset=utf-8|');
    });

    it('reports a responseBody execution error as a tool error without quoting values', async () => {
      const result = await callTool(
        { name: 'bad', method: 'GET', endpoint: '{{.Config.base}}/users', responseBody: '{{ index .Config.token 99 }}' },
        {},
        { config: { token: '{{ env "API_TOKEN" }}' } },
      );
      expect(result.isError).toBe(true);
      expect(text(result)).toMatch(/^tool "bad": responseBody: template: 1:\d+: executing "index": index out of range: 99$/);
      expect(text(result)).not.toContain(SECRET);
    });

    it('refuses a response larger than the limit when Content-Length is declared', async () => {
      const result = await callTool({ name: 'big', method: 'GET', endpoint: '{{.Config.base}}/large?bytes=5000', maxResponseBytes: 1000 });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "big": response larger than 1000 bytes' }] });
    });

    it('stops reading a chunked response when it passes the limit', async () => {
      const result = await callTool(
        { name: 'big', method: 'GET', endpoint: '{{.Config.base}}/large?bytes=10000000&chunked=true' },
        {},
        { runtime: runtime({ maxResponseBytes: 100_000 }) },
      );
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "big": response larger than 100000 bytes' }] });
    });

    it('accepts a response exactly at the limit', async () => {
      const result = await callTool({ name: 'big', method: 'GET', endpoint: '{{.Config.base}}/large?bytes=1000&chunked=true', maxResponseBytes: 1000 });
      expect(text(result)).toBe('x'.repeat(1000));
    });
  });

  describe('failures', () => {
    it('reports the connect error without URL or headers when the backend is down', async () => {
      const result = await callTool({ name: 'get_user', method: 'GET', endpoint: 'http://127.0.0.1:9/users?key={{ env "API_TOKEN" }}', headers: { Authorization: '{{ env "API_TOKEN" }}' } });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "get_user": connect ECONNREFUSED 127.0.0.1:9' }] });
    });

    it('refuses an endpoint that is not an absolute http(s) URL', async () => {
      const result = await callTool({ name: 'rel', method: 'GET', endpoint: '/users/{{ env "API_TOKEN" }}' });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "rel": endpoint is not an absolute http(s) URL' }] });
    });

    it('times out and aborts the backend request when the tool timeout passes', async () => {
      const aborted = demo.stats.aborted;
      const started = performance.now();
      const result = await callTool({ name: 'slow', method: 'GET', endpoint: '{{.Config.base}}/slow?ms=5000', timeout: 200 });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "slow": backend did not answer within 200ms' }] });
      expect(performance.now() - started).toBeLessThan(2000);
      await until(() => demo.stats.aborted > aborted);
    });

    it('accepts a duration string when the timeout is written "300ms"', async () => {
      const result = await callTool({ name: 'slow', method: 'GET', endpoint: '{{.Config.base}}/slow?ms=5000', timeout: '300ms' });
      expect(text(result)).toBe('tool "slow": backend did not answer within 300ms');
    });

    it('times out when DNS resolution of the endpoint host hangs', async () => {
      const guard = createSsrfGuard({ allowedNetworks: [], resolve: () => new Promise<string[]>(() => {}) });
      const result = await callTool({ name: 'dns', method: 'GET', endpoint: 'http://hang.test/', timeout: 100 }, {}, { runtime: runtime({ guard }) });
      expect(text(result)).toBe('tool "dns": backend did not answer within 100ms');
    });

    it('aborts the backend request when the client cancels the call', async () => {
      const aborted = demo.stats.aborted;
      const controller = new AbortController();
      const pending = callTool({ name: 'slow', method: 'GET', endpoint: '{{.Config.base}}/slow?ms=5000' }, {}, { signal: controller.signal });
      await until(() => demo.stats.inFlight > 0);
      controller.abort();
      expect(await pending).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "slow": cancelled' }] });
      await until(() => demo.stats.aborted > aborted);
    });

    it('stops the backend request when the context reports aborted without ever reading its signal', async () => {
      const aborted = demo.stats.aborted;
      let cancelled = false;
      const context: CallContext = {
        request: { headers: {}, query: {}, cookies: {} },
        get aborted() {
          return cancelled;
        },
        get signal(): AbortSignal {
          throw new Error('signal read');
        },
      };
      const endpoint = endpointFor([{ name: 'slow', method: 'GET', endpoint: '{{.Config.base}}/slow?ms=5000' }]);
      const pending = endpoint.callTool('slow', {}, context);
      await until(() => demo.stats.inFlight > 0);
      cancelled = true;
      expect(await pending).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "slow": cancelled' }] });
      await until(() => demo.stats.aborted > aborted);
    });
  });

  describe('ssrf and redirects', () => {
    it('refuses a loopback endpoint when loopback is not allowlisted', async () => {
      const before = demo.stats.requests;
      const result = await callTool(echoTool(), {}, { runtime: runtime({ guard: createSsrfGuard({ allowedNetworks: [] }) }) });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: `tool "echo": request to ${demo.url} refused: loopback address` }] });
      expect(demo.stats.requests).toBe(before);
    });

    it('refuses a redirect to a private address when only loopback is allowlisted', async () => {
      const result = await callTool({ name: 'r', method: 'GET', endpoint: '{{.Config.base}}/redirect?to=http://10.1.2.3/&status=302' });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "r": redirect to http://10.1.2.3/ refused: private address' }] });
    });

    it('refuses a redirect to the metadata address in IPv4-mapped form', async () => {
      const result = await callTool({ name: 'r', method: 'GET', endpoint: '{{.Config.base}}/redirect?to=http://[::ffff:169.254.169.254]/latest' });
      expect(text(result)).toBe('tool "r": redirect to http://[::ffff:a9fe:a9fe]/latest refused: link-local address (cloud metadata)');
    });

    it('follows a 303 after POST with GET and without body when the target is allowed', async () => {
      const to = encodeURIComponent(`${demo.url}/echo/after`);
      const echo = echoOf(await callTool({ name: 'r', method: 'POST', endpoint: `${extraUrl}/see-other?status=303&to=${to}`, requestBody: '{"a":1}' }));
      expect(echo.method).toBe('GET');
      expect(echo.path).toBe('/echo/after');
      expect(echo.body).toBeNull();
      expect(echo.contentType).toBeNull();
    });

    it('keeps method and body when the redirect is a 307', async () => {
      const to = encodeURIComponent(`${demo.url}/echo/after`);
      const echo = echoOf(await callTool({ name: 'r', method: 'PUT', endpoint: `${extraUrl}/see-other?status=307&to=${to}`, requestBody: '{"a":1}' }));
      expect(echo.method).toBe('PUT');
      expect(echo.body).toEqual({ a: 1 });
    });

    it('drops Authorization and Cookie when a redirect leaves the origin', async () => {
      const echo = echoOf(
        await callTool({
          name: 'r',
          method: 'GET',
          endpoint: `{{.Config.base}}/redirect?to=${encodeURIComponent(`${other.url}/echo/moved`)}`,
          headers: { Authorization: 'Bearer {{ env "API_TOKEN" }}', Cookie: 'a=b', 'X-Keep': 'yes' },
        }),
      );
      expect(echo.path).toBe('/echo/moved');
      expect(echo.headers.authorization).toBeUndefined();
      expect(echo.headers.cookie).toBeUndefined();
      expect(echo.headers['x-keep']).toBe('yes');
    });

    it('keeps Authorization when a redirect stays on the origin', async () => {
      const echo = echoOf(
        await callTool({ name: 'r', method: 'GET', endpoint: '{{.Config.base}}/redirect?to=/echo/same&status=308', headers: { Authorization: 'Bearer x' } }),
      );
      expect(echo.headers.authorization).toBe('Bearer x');
    });

    it('stops after 5 redirects when the backend keeps redirecting', async () => {
      const result = await callTool({ name: 'loop', method: 'GET', endpoint: `${extraUrl}/loop` });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: 'tool "loop": more than 5 redirects' }] });
    });

    it('connects to the checked address with the original Host header when the endpoint is a host name', async () => {
      const guard = createSsrfGuard({ allowedNetworks: ['127.0.0.1'], resolve: async () => ['127.0.0.1'] });
      const echo = echoOf(await callTool(echoTool({ endpoint: `http://rebind.test:${demo.port}/echo/pinned` }), {}, { runtime: runtime({ guard }) }));
      expect(echo.path).toBe('/echo/pinned');
      expect(echo.headers.host).toBe(`rebind.test:${demo.port}`);
    });

    it('refuses a host name that resolves to a private address when it is not allowlisted', async () => {
      const guard = createSsrfGuard({ allowedNetworks: ['127.0.0.1'], resolve: async () => ['192.168.7.7'] });
      const result = await callTool(echoTool({ endpoint: 'http://rebind.test/echo' }), {}, { runtime: runtime({ guard }) });
      expect(text(result)).toBe('tool "echo": request to http://rebind.test refused: rebind.test resolves to a private address');
    });
  });

  describe('proxy', () => {
    let proxy: Awaited<ReturnType<typeof startForwardProxy>>;
    beforeAll(async () => {
      proxy = await startForwardProxy();
    });
    afterAll(() => proxy.close());

    const via = (host = '127.0.0.1', type: 'http' | 'https' | 'socks5' = 'http', port = proxy.port) => ({ proxy: { host, port, type } });
    /** Resolves only proxy.test (to `address`); other names fail as unknown. */
    const resolving = (address: string, allowed: string[] = ['127.0.0.1']) =>
      createSsrfGuard({
        allowedNetworks: allowed,
        resolve: async (host) => {
          if (host === 'proxy.test') return [address];
          throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
        },
      });

    it('sends the request through the proxy when the tool has an http proxy', async () => {
      proxy.seen.length = 0;
      const before = demo.stats.requests;
      const result = await callTool(echoTool(via()), {}, { headers: { Authorization: 'Bearer client', 'Proxy-Authorization': 'Basic client' } });
      const echo = echoOf(result);
      expect(echo.path).toBe('/echo/x');
      expect(demo.stats.requests).toBe(before + 1);
      expect(proxy.seen.map((r) => `${r.method} ${r.url}`)).toEqual([`POST ${demo.url}/echo/x`]);
      expect(proxy.seen[0]!.headers['proxy-authorization']).toBeUndefined();
      expect(proxy.seen[0]!.headers.authorization).toBeUndefined();
    });

    it('connects to the checked address when the proxy is named by host', async () => {
      proxy.seen.length = 0;
      // proxy.test resolves nowhere but in the guard: the request only arrives if the proxy URL is pinned.
      const echo = echoOf(await callTool(echoTool(via('proxy.test')), {}, { runtime: runtime({ guard: resolving('127.0.0.1') }) }));
      expect(echo.path).toBe('/echo/x');
      expect(proxy.seen).toHaveLength(1);
    });

    it('refuses a loopback proxy without connecting when loopback is not allowlisted', async () => {
      proxy.seen.length = 0;
      const before = demo.stats.requests;
      const guard = createSsrfGuard({ allowedNetworks: ['backend.test'] });
      const tool = echoTool({ endpoint: `http://backend.test:${demo.port}/echo/x`, ...via() });
      const result = await callTool(tool, {}, { runtime: runtime({ guard }) });
      expect(result).toEqual({ isError: true, content: [{ type: 'text', text: `tool "echo": proxy 127.0.0.1:${proxy.port} refused: loopback address` }] });
      expect(proxy.seen).toHaveLength(0);
      expect(demo.stats.requests).toBe(before);
    });

    it('refuses a proxy whose host name resolves to a private address', async () => {
      proxy.seen.length = 0;
      const result = await callTool(echoTool(via('proxy.test')), {}, { runtime: runtime({ guard: resolving('10.0.0.8') }) });
      expect(text(result)).toBe(`tool "echo": proxy proxy.test:${proxy.port} refused: proxy.test resolves to a private address`);
      expect(proxy.seen).toHaveLength(0);
    });

    it('refuses a private target even when the proxy is allowed', async () => {
      proxy.seen.length = 0;
      const result = await callTool(echoTool({ endpoint: 'http://10.1.2.3/echo', ...via() }));
      expect(text(result)).toBe('tool "echo": request to http://10.1.2.3 refused: private address');
      expect(proxy.seen).toHaveLength(0);
    });

    it('follows redirects through the proxy when the target stays allowed', async () => {
      proxy.seen.length = 0;
      const echo = echoOf(await callTool({ name: 'r', method: 'GET', endpoint: '{{.Config.base}}/redirect?to=/echo/after', ...via() }));
      expect(echo.path).toBe('/echo/after');
      expect(proxy.seen.map((r) => r.url)).toEqual([`${demo.url}/redirect?to=/echo/after`, `${demo.url}/echo/after`]);
    });

    it('refuses a redirect to a private address without sending it to the proxy', async () => {
      proxy.seen.length = 0;
      const result = await callTool({ name: 'r', method: 'GET', endpoint: '{{.Config.base}}/redirect?to=http://10.1.2.3/&status=302', ...via() });
      expect(text(result)).toBe('tool "r": redirect to http://10.1.2.3/ refused: private address');
      expect(proxy.seen).toHaveLength(1);
    });

    it('fails without sending the request when the proxy is socks5', async () => {
      proxy.seen.length = 0;
      const before = demo.stats.requests;
      const result = await callTool(echoTool(via('127.0.0.1', 'socks5')));
      expect(result).toEqual({
        isError: true,
        content: [{ type: 'text', text: 'tool "echo": socks5 proxies are not supported; the request was not sent' }],
      });
      expect(proxy.seen).toHaveLength(0);
      expect(demo.stats.requests).toBe(before);
    });

    it('names the proxy in the error when the proxy is down', async () => {
      const before = demo.stats.requests;
      const result = await callTool(echoTool(via('127.0.0.1', 'http', 9)));
      expect(text(result)).toBe('tool "echo": proxy: connect ECONNREFUSED 127.0.0.1:9');
      expect(demo.stats.requests).toBe(before);
    });

    it('refuses to compile a tool whose proxy host is a URL', () => {
      expect(() => endpointFor([echoTool(via('http://proxy.corp'))])).toThrow('tool "echo": proxy host "http://proxy.corp" is not a host name or IP address');
    });
  });

  describe('secrets', () => {
    it('keeps config, env and header values out of every error text when calls fail', async () => {
      const tools: ToolSpec[] = [
        { name: 'down', method: 'GET', endpoint: 'http://127.0.0.1:9/{{ .Config.token }}', headers: { Authorization: '{{ .Config.token }}' } },
        { name: 'missing', method: 'GET', endpoint: '{{.Config.base}}/users/x?k={{ .Config.token }}', headers: { Authorization: '{{ .Config.token }}' } },
        { name: 'hdr', method: 'GET', endpoint: '{{.Config.base}}/echo', headers: { 'X-Bad': '{{ .Config.token }}{{ "\\n" }}x' } },
        { name: 'body', method: 'POST', endpoint: '{{.Config.base}}/echo', requestBody: '{{ b64dec .Config.token }}' },
        { name: 'json', method: 'POST', endpoint: '{{.Config.base}}/echo', requestBody: '{{ fromJSON .Config.token }}' },
      ];
      const endpoint = endpointFor(tools, { config: { token: '{{ env "API_TOKEN" }}' } });
      for (const tool of tools) {
        const result = await endpoint.callTool(tool.name, {}, ctx({ Authorization: `Bearer ${SECRET}` }));
        expect(result.isError).toBe(true);
        expect(text(result)).not.toContain(SECRET);
        expect(text(result)).toStartWith(`tool "${tool.name}": `);
      }
    });
  });

  describe('helpers', () => {
    it('parses durations when given as milliseconds or with a unit', () => {
      expect(durationMs(250)).toBe(250);
      expect(durationMs('500ms')).toBe(500);
      expect(durationMs('10s')).toBe(10_000);
      expect(durationMs('1.5s')).toBe(1500);
      expect(durationMs('2m')).toBe(120_000);
      expect(durationMs('1h')).toBe(3_600_000);
    });

    it('canonicalizes header names as Go does when given any case', () => {
      expect(canonicalHeaderName('x-user-id')).toBe('X-User-Id');
      expect(canonicalHeaderName('AUTHORIZATION')).toBe('Authorization');
      expect(canonicalHeaderName('bad name')).toBe('bad name');
    });
  });
});
