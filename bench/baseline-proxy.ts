/**
 * The baseline of bench/gateway-throughput.ts: the least code that does what the gateway does for one
 * REST tool call. It reads a JSON-RPC POST, calls the backend's `GET /users/<id>`, and answers the
 * JSON-RPC result with the body as text content. `initialize` hands out a session id and notifications
 * get 202, so the load generator drives it exactly as it drives the gateway.
 *
 * No validation, templates, SSRF guard, metrics or sessions: whatever the gateway costs on top of this
 * is the price of those features.
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

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(values.port),
  async fetch(req) {
    if (req.method !== 'POST') return new Response(null, { status: 405 });
    const msg = (await req.json()) as JsonRpcRequest;
    if (msg.id === undefined) return new Response(null, { status: 202 });
    if (msg.method === 'initialize') {
      const result = {
        protocolVersion: '2025-11-25',
        capabilities: { tools: {} },
        serverInfo: { name: 'baseline-proxy', version: '0.0.0' },
      };
      return new Response(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }), {
        headers: { ...JSON_HEADERS, 'mcp-session-id': crypto.randomUUID() },
      });
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
