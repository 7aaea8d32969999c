/**
 * The baseline of bench/gateway-throughput.ts: the least code that does what any MCP proxy must do for
 * one REST tool call. It reads the POST body and JSON.parses it, checks the session id it handed out
 * and that the method is tools/call, fetches the backend's `GET /users/<id>` (keep-alive, Bun's
 * default), reads the body, and answers the JSON-RPC result (one JSON.stringify) with the body as text
 * content. `initialize` hands out a session id and notifications get 202, so the load generator drives
 * it exactly as it drives the gateway.
 *
 * No argument validation, templates, SSRF guard, metrics, timeouts or cancellation: whatever the gateway
 * costs on top of this is the price of those features (and of its framework).
 *
 * `bun bench/baseline-proxy.ts --backend http://127.0.0.1:5236 [--port 0]`; prints one JSON line with
 * its URL once listening. Not a benchmark: bench/run.ts skips it.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { backend: { type: 'string' }, port: { type: 'string', default: '0' } } });
if (!values.backend) {
  console.error('baseline-proxy: --backend URL is required');
  process.exit(2);
}
const backend = values.backend.replace(/\/$/, '');

interface JsonRpcRequest {
  id?: number | string;
  method?: string;
  params?: { name?: string; arguments?: { id?: string } };
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const sessions = new Set<string>();

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(values.port),
  async fetch(req) {
    if (req.method !== 'POST') return new Response(null, { status: 405 });
    const msg = JSON.parse(await req.text()) as JsonRpcRequest;
    if (msg.id === undefined) return new Response(null, { status: 202 });
    if (msg.method === 'initialize') {
      const result = {
        protocolVersion: '2025-11-25',
        capabilities: { tools: {} },
        serverInfo: { name: 'baseline-proxy', version: '0.0.0' },
      };
      const id = crypto.randomUUID();
      sessions.add(id);
      return new Response(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }), {
        headers: { ...JSON_HEADERS, 'mcp-session-id': id },
      });
    }
    if (!sessions.has(req.headers.get('mcp-session-id') ?? '')) return new Response(null, { status: 404 });
    if (msg.method !== 'tools/call') {
      const error = { code: -32601, message: 'Method not found' };
      return new Response(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error }), { headers: JSON_HEADERS });
    }
    const id = encodeURIComponent(msg.params?.arguments?.id ?? '1');
    const res = await fetch(`${backend}/users/${id}`);
    const text = await res.text();
    const result = res.ok ? { content: [{ type: 'text', text }] } : { content: [{ type: 'text', text }], isError: true };
    return new Response(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }), { headers: JSON_HEADERS });
  },
});

console.log(JSON.stringify({ msg: 'baseline proxy listening', url: `http://127.0.0.1:${server.port}` }));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.stop(true).then(() => process.exit(0));
  });
}
