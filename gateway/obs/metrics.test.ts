import { describe, expect, it } from 'bun:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { GatewayMetrics } from './metrics.ts';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The metric block `name` (HELP line to the blank line) of a text exposition. */
function block(text: string, name: string): string {
  const start = text.indexOf(`# HELP ${name} `);
  if (start < 0) throw new Error(`${name} missing`);
  const end = text.indexOf('\n\n', start);
  return text.slice(start, end < 0 ? undefined : end).trimEnd();
}

describe('GatewayMetrics', () => {
  it('renders the per-request series exactly as prom-client would', async () => {
    const metrics = new GatewayMetrics();
    const reference = new Registry();
    const registers = [reference];
    const total = new Counter({ name: 'mcp_requests_total', help: 'MCP JSON-RPC requests by router, method and outcome.', labelNames: ['router', 'method', 'outcome'], registers });
    const seconds = new Histogram({ name: 'mcp_request_duration_seconds', help: 'Time to answer an MCP JSON-RPC request.', labelNames: ['router', 'method'], buckets: BUCKETS, registers });
    const calls: Array<[string, string, 'ok' | 'error', number]> = [
      ['/a', 'tools/call', 'ok', 0.0012],
      ['/a', 'tools/call', 'ok', 0.001],
      ['/a', 'tools/call', 'error', 0.7],
      ['/a', 'ping', 'ok', 0.0001],
      ['/b"\\\n', 'tools/list', 'ok', 45],
    ];
    for (const [router, method, outcome, s] of calls) {
      metrics.rpc(router, method, outcome, s);
      total.labels(router, method, outcome).inc();
      seconds.labels(router, method).observe(s);
    }
    const ours = await metrics.render();
    const theirs = await reference.metrics();
    for (const name of ['mcp_requests_total', 'mcp_request_duration_seconds']) {
      expect(block(ours, name)).toBe(block(theirs, name));
    }
  });

  it('counts unknown methods as "other" and notifications as "notification"', async () => {
    const metrics = new GatewayMetrics();
    metrics.rpc('/a', 'made/up', 'error', 0.001);
    metrics.rpc('/a', 'notifications/whatever', 'ok', 0.001);
    const text = await metrics.render();
    expect(text).toContain('mcp_requests_total{router="/a",method="other",outcome="error"} 1');
    expect(text).toContain('mcp_requests_total{router="/a",method="notification",outcome="ok"} 1');
    expect(text).not.toContain('made/up');
  });

  it('labels rejected calls of tool names no endpoint ran as "unknown"', async () => {
    const metrics = new GatewayMetrics();
    metrics.toolCall('/a', 'no_such_tool', 'rejected', 0.0001);
    metrics.toolCall('/a', 'get_user', 'ok', 0.003);
    metrics.toolCall('/a', 'get_user', 'rejected', 0.0001);
    metrics.toolCall('/a', 'get_user', 'error', 0.004);
    const text = await metrics.render();
    expect(text).toContain('tool_calls_total{router="/a",tool="unknown",outcome="rejected"} 1');
    expect(text).toContain('tool_calls_total{router="/a",tool="get_user",outcome="ok"} 1');
    expect(text).toContain('tool_calls_total{router="/a",tool="get_user",outcome="rejected"} 1');
    expect(text).toContain('tool_calls_total{router="/a",tool="get_user",outcome="error"} 1');
    expect(text).toContain('tool_call_duration_seconds_count{router="/a",tool="get_user"} 3');
    expect(text).not.toContain('no_such_tool');
  });

  it('keeps the prom-client metrics in the same exposition', async () => {
    const metrics = new GatewayMetrics();
    metrics.session('sse', 1);
    metrics.http('not_found', 404);
    const text = await metrics.render();
    expect(text).toMatch(/^mcp_sessions\{transport="sse"\} 1$/m);
    expect(text).toMatch(/^http_requests_total\{route="not_found",status="404"\} 1$/m);
    expect(text.endsWith('\n')).toBe(true);
  });
});
