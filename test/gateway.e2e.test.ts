/**
 * The gateway end to end: the demo backend and a gateway on loopback ports, driven by the official MCP
 * SDK client over Streamable HTTP and legacy SSE. The same table of cases runs on both transports; the
 * backend's echo endpoint and request counters show what reached it (and what did not).
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type CallToolResult, McpError } from '@modelcontextprotocol/sdk/types.js';
import { type DemoBackend, startDemoBackend } from '../demo/backend.ts';
import { loadSettings } from '../gateway/config/settings.ts';
import { type RunningGateway, startGateway } from '../gateway/gateway.ts';
import { createLogger } from '../gateway/obs/log.ts';

const REPO = join(import.meta.dir, 'fixtures', 'e2e-repo');
const PREFIX = '/e2e/rest';

/** Every tool the fixture's server allows, in config order. */
const ALLOWED_TOOLS = [
  'echo_header',
  'echo_query',
  'echo_path',
  'echo_body_json',
  'echo_body_plain',
  'echo_form',
  'echo_defaults',
  'get_image',
  'get_audio',
  'get_status',
  'slow_timeout',
  'slow',
  'get_compressed',
  'get_large',
  'ssrf_private',
  'ssrf_metadata',
  'redirect_private',
  'get_user',
  'get_user_raw',
];

/** What the demo backend's `/echo/*` answers. */
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

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Polls `condition` until it holds; for effects that happen on another connection (aborts, counters). */
async function until(what: string, condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await Bun.sleep(5);
  }
}

/** The text blocks of a result, joined. */
function textOf(result: CallToolResult): string {
  return result.content
    .filter((c) => c.type === 'text')
    .map((c) => (c as { text: string }).text)
    .join('\n');
}

/** A tool result whose text is the backend's echo JSON (no responseBody: the body passes through). */
function echoOf(result: CallToolResult): Echo {
  expect(result.isError ?? false).toBe(false);
  return JSON.parse(textOf(result)) as Echo;
}

let backend: DemoBackend;
let gateway: RunningGateway;

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

const TRANSPORTS: { name: string; connect: () => Transport }[] = [
  { name: 'Streamable HTTP', connect: () => new StreamableHTTPClientTransport(new URL(`${gateway.url}${PREFIX}/mcp`)) },
  { name: 'legacy SSE', connect: () => new SSEClientTransport(new URL(`${gateway.url}${PREFIX}/sse`)) },
];

describe('gateway end to end', () => {
  for (const transport of TRANSPORTS) {
    describe(`over ${transport.name}`, () => {
      let client: Client;
      const call = async (name: string, args: Record<string, unknown> = {}) =>
        (await client.callTool({ name, arguments: args })) as CallToolResult;

      beforeAll(async () => {
        client = new Client({ name: 'e2e-test', version: '1.0.0' });
        await client.connect(transport.connect());
      });
      afterAll(async () => {
        await client?.close();
      });

      it('initializes with serverInfo and tools and prompts capabilities', () => {
        const info = client.getServerVersion();
        expect(typeof info?.name).toBe('string');
        expect(info?.name.length).toBeGreaterThan(0);
        expect(typeof info?.version).toBe('string');
        const caps = client.getServerCapabilities();
        expect(caps?.tools).toBeDefined();
        expect(caps?.prompts).toBeDefined();
      });

      it('lists every allowed tool with input schemas generated from args', async () => {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual([...ALLOWED_TOOLS].sort());
        const byName = new Map(tools.map((t) => [t.name, t]));

        const body = byName.get('echo_body_json')!.inputSchema;
        expect(body.type).toBe('object');
        expect(body.required).toEqual(['name']);
        expect(body.properties).toMatchObject({
          name: { type: 'string', description: 'Any text, quotes and newlines included.' },
          count: { type: 'integer' },
          ratio: { type: 'number' },
          enabled: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string' } },
          preferences: { type: 'object' },
        });

        // Defaults are advertised parsed to their type, whichever way the config wrote them.
        expect(byName.get('echo_defaults')!.inputSchema.properties).toMatchObject({
          limit: { type: 'integer', default: 20 },
          sort: { type: 'string', default: 'name' },
          page: { type: 'integer', default: 3 },
          fields: { type: 'array', default: ['id', 'name'], items: { type: 'string' } },
          filter: { type: 'object', default: { role: 'admin' } },
          strict: { type: 'boolean', default: false },
        });
        expect(byName.get('get_compressed')!.inputSchema.properties).toMatchObject({
          encoding: { type: 'string', enum: ['gzip', 'deflate', 'br', 'zstd'] },
        });
        expect(byName.get('get_image')!.inputSchema).toMatchObject({ type: 'object', properties: {} });
      });

      it('sends a header argument as a request header and no client headers', async () => {
        const echo = echoOf(await call('echo_header', { trace: 'trace-123' }));
        expect(echo.method).toBe('GET');
        expect(echo.path).toBe('/echo/header');
        expect(echo.headers.trace).toBe('trace-123');
        expect(echo.headers['x-static']).toBe('fixed-value');
        expect(echo.headers['x-rendered']).toBe('tool=echo_header');
        // Client headers reach the backend only when a tool forwards them.
        expect(echo.headers['mcp-session-id']).toBeUndefined();
        expect(echo.headers['mcp-protocol-version']).toBeUndefined();
      });

      it('sends query arguments escaped, with typed values as text', async () => {
        const q = 'a b&c=d/é?#x+y';
        const echo = echoOf(await call('echo_query', { q, limit: 7, verbose: true }));
        expect(echo.query).toEqual({ q, limit: '7', verbose: 'true' });
      });

      it('leaves out optional query arguments that are absent', async () => {
        const echo = echoOf(await call('echo_query', { q: 'only' }));
        expect(echo.query).toEqual({ q: 'only' });
      });

      it('escapes a path argument into a single segment', async () => {
        const segment = 'a/b c?d#e%f&g';
        const echo = echoOf(await call('echo_path', { segment }));
        const parts = echo.path.split('/');
        expect(parts.length).toBe(5);
        expect(parts.slice(0, 3)).toEqual(['', 'echo', 'path']);
        expect(decodeURIComponent(parts[3]!)).toBe(segment);
        expect(parts[4]).toBe('end');
        expect(echo.rawQuery).toBe('');
      });

      it('builds a JSON body with toJSON, coercing values to their declared types', async () => {
        const name = 'say "hi"\nand \\ bye </script>';
        const preferences = { theme: 'dark', nested: { list: [1, { deep: true }] } };
        const echo = echoOf(
          await call('echo_body_json', { name, count: '42', ratio: 0.5, enabled: 'true', tags: ['a', 'b'], preferences }),
        );
        expect(echo.method).toBe('POST');
        expect(echo.contentType).toBe('application/json');
        expect(echo.body).toEqual({ name, count: 42, ratio: 0.5, enabled: true, tags: ['a', 'b'], preferences });
      });

      it('keeps arrays and objects as JSON when given as JSON text', async () => {
        const echo = echoOf(await call('echo_body_json', { name: 'x', tags: '["p", "q"]', preferences: '{"a": {"b": [1]}}' }));
        expect(echo.body).toMatchObject({ tags: ['p', 'q'], preferences: { a: { b: [1] } } });
      });

      it('renders an array argument as JSON without toJSON', async () => {
        const echo = echoOf(await call('echo_body_plain', { tags: [1, 2, 3] }));
        expect(echo.method).toBe('PUT');
        expect(echo.body).toEqual({ tags: [1, 2, 3] });
      });

      it('sends form-data arguments as multipart fields', async () => {
        const echo = echoOf(await call('echo_form', { title: 'Hello, wörld', count: 3, page: 2 }));
        expect(echo.method).toBe('POST');
        expect(echo.contentType ?? '').toStartWith('multipart/form-data');
        expect(echo.form).toEqual({ title: 'Hello, wörld', count: '3', note: 'none' });
        expect(echo.query).toEqual({ page: '2' });
      });

      it('applies defaults when arguments are absent', async () => {
        const echo = echoOf(await call('echo_defaults'));
        expect(echo.query).toEqual({ limit: '20', sort: 'name', page: '3' });
        expect(echo.body).toEqual({ fields: ['id', 'name'], filter: { role: 'admin' }, strict: false });
      });

      it('refuses a call missing a required argument without contacting the backend', async () => {
        const before = backend.stats.requests;
        const header = await call('echo_header');
        expect(header.isError).toBe(true);
        expect(textOf(header)).toContain('trace');
        const path = await call('echo_path', { segment: null });
        expect(path.isError).toBe(true);
        expect(textOf(path)).toContain('segment');
        expect(backend.stats.requests).toBe(before);
      });

      it('refuses a value of the wrong type without contacting the backend', async () => {
        const before = backend.stats.requests;
        const result = await call('echo_body_json', { name: 'x', count: 'many' });
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain('count');
        const outOfEnum = await call('get_compressed', { encoding: 'lzma' });
        expect(outOfEnum.isError).toBe(true);
        expect(backend.stats.requests).toBe(before);
      });

      it('returns an image as base64 image content', async () => {
        const result = await call('get_image');
        expect(result.isError ?? false).toBe(false);
        expect(result.content).toHaveLength(1);
        const block = result.content[0] as { type: string; data: string; mimeType: string };
        expect(block.type).toBe('image');
        expect(block.mimeType).toBe('image/png');
        const bytes = Buffer.from(block.data, 'base64');
        expect([...bytes.subarray(0, 8)]).toEqual(PNG_MAGIC);
        const direct = Buffer.from(await (await fetch(`${backend.url}/image.png`)).arrayBuffer());
        expect(bytes.equals(direct)).toBe(true);
      });

      it('returns audio as base64 audio content', async () => {
        const result = await call('get_audio');
        const block = result.content[0] as { type: string; data: string; mimeType: string };
        expect(block.type).toBe('audio');
        expect(block.mimeType).toBe('audio/wav');
        const bytes = Buffer.from(block.data, 'base64');
        expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
        expect(bytes.subarray(8, 12).toString('latin1')).toBe('WAVE');
      });

      for (const encoding of ['gzip', 'deflate', 'br', 'zstd']) {
        it(`decodes a ${encoding} response`, async () => {
          const result = await call('get_compressed', { encoding });
          expect(result.isError ?? false).toBe(false);
          expect(JSON.parse(textOf(result))).toEqual({ compressed: true, encoding });
        });
      }

      it('maps 404 and 500 to isError results naming the status', async () => {
        const notFound = await call('get_status', { code: 404 });
        expect(notFound.isError).toBe(true);
        expect(textOf(notFound)).toContain('404 Not Found');
        const failed = await call('get_status', { code: '500' });
        expect(failed.isError).toBe(true);
        expect(textOf(failed)).toContain('500 Internal Server Error');
        const ok = await call('get_status', { code: 200 });
        expect(ok.isError ?? false).toBe(false);
      });

      it('renders a responseBody template', async () => {
        const result = await call('get_user', { id: '1' });
        expect(result.isError ?? false).toBe(false);
        expect(textOf(result)).toBe('Ada Lovelace <ada@example.com> (admin)');
      });

      it('refuses a response larger than maxResponseBytes', async () => {
        const small = await call('get_large', { bytes: 1000 });
        expect(small.isError ?? false).toBe(false);
        expect(textOf(small)).toBe('x'.repeat(1000));
        const declared = await call('get_large', { bytes: 100_000 });
        expect(declared.isError).toBe(true);
        expect(textOf(declared)).toContain('4096');
        const streamed = await call('get_large', { bytes: 100_000, chunked: true });
        expect(streamed.isError).toBe(true);
        expect(textOf(streamed)).toContain('4096');
      });

      it('times out a slow backend as an isError result within a second and aborts the backend request', async () => {
        const aborted = backend.stats.aborted;
        const started = performance.now();
        const result = await call('slow_timeout', { ms: 5000 });
        const elapsed = performance.now() - started;
        expect(result.isError).toBe(true);
        expect(textOf(result)).toMatch(/300 ?ms|timed? ?out/i);
        expect(elapsed).toBeGreaterThanOrEqual(250);
        expect(elapsed).toBeLessThan(1000);
        await until('backend request aborted after the timeout', () => backend.stats.aborted > aborted);
      });

      it('cancels the backend request when the client aborts the call', async () => {
        const requests = backend.stats.requests;
        const aborted = backend.stats.aborted;
        const controller = new AbortController();
        const pending = client.callTool({ name: 'slow', arguments: { ms: 10_000 } }, undefined, { signal: controller.signal });
        const settled = pending.then(
          () => 'resolved',
          () => 'rejected',
        );
        // Abort once the backend holds the request, so the cancellation has something to cancel.
        await until('the call reached the backend', () => backend.stats.requests > requests);
        controller.abort();
        expect(await settled).toBe('rejected');
        await until('backend request aborted after the cancellation', () => backend.stats.aborted > aborted);
        // The session outlives the cancelled call.
        expect(textOf(await call('get_user', { id: '2' }))).toBe('Alan Turing <alan@example.com> (user)');
      });

      it('refuses private and metadata addresses before connecting', async () => {
        const before = backend.stats.requests;
        const started = performance.now();
        const priv = await call('ssrf_private');
        expect(priv.isError).toBe(true);
        expect(textOf(priv)).toContain('private address');
        const meta = await call('ssrf_metadata');
        expect(meta.isError).toBe(true);
        expect(textOf(meta)).toContain('link-local');
        // A connection attempt to 10.255.255.1 would hang until the tool's 2 s timeout.
        expect(performance.now() - started).toBeLessThan(1000);
        expect(backend.stats.requests).toBe(before);
      });

      it('refuses a redirect to a metadata address', async () => {
        const before = backend.stats.requests;
        const started = performance.now();
        const result = await call('redirect_private');
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain('link-local');
        expect(performance.now() - started).toBeLessThan(1000);
        expect(backend.stats.requests).toBe(before + 1);
      });

      it('answers an unknown tool with JSON-RPC error -32602', async () => {
        const error = await client.callTool({ name: 'no_such_tool', arguments: {} }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(McpError);
        expect((error as McpError).code).toBe(-32602);
      });

      it('lists prompts with their arguments', async () => {
        const { prompts } = await client.listPrompts();
        expect(prompts).toHaveLength(1);
        expect(prompts[0]).toMatchObject({
          name: 'summarize_user',
          description: 'Summarise a user in a given tone.',
          arguments: [
            { name: 'name', description: 'Who.', required: true },
            { name: 'tone', description: 'How.' },
          ],
        });
      });

      it('substitutes prompt arguments in prompts/get', async () => {
        const prompt = await client.getPrompt({ name: 'summarize_user', arguments: { name: 'Ada', tone: 'friendly' } });
        expect(prompt.messages).toEqual([
          { role: 'user', content: { type: 'text', text: 'Look up Ada with get_user and summarise them in a friendly tone.' } },
          { role: 'assistant', content: { type: 'text', text: 'I will describe Ada.' } },
        ]);
      });

      it('answers prompts/get without a required argument with -32602', async () => {
        const error = await client.getPrompt({ name: 'summarize_user', arguments: { tone: 'dry' } }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(McpError);
        expect((error as McpError).code).toBe(-32602);
      });
    });
  }
});
