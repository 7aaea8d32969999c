/**
 * The pool across reloads: an unchanged spec keeps its Upstream (and its child), a changed one gets a
 * new one, and the last release reaps the child.
 */
import { afterAll, describe, expect, it } from 'bun:test';
import type { McpConfig, McpServer } from '../config/schema.ts';
import { TINY_MCP } from '../../test/fixtures/upstreams/everything.ts';
import { alive, waitFor } from '../../test/fixtures/upstreams/procs.ts';
import { UpstreamPool } from './pool.ts';
import { compileUpstreamEndpoint, type UpstreamEndpoint } from './upstream-endpoint.ts';

function compile(pool: UpstreamPool, spec: McpServer, revision: string): UpstreamEndpoint {
  const config: McpConfig = { name: 'p', tenant: 't', routers: [{ prefix: '/t/p', server: spec.name }], mcpServers: [spec] };
  return compileUpstreamEndpoint({ config, router: config.routers![0]!, upstream: spec, revision }, { pool, allowStdio: true, env: () => undefined });
}

describe('UpstreamPool', () => {
  const pool = new UpstreamPool({});
  afterAll(() => pool.closeAll());

  it('reuses the live upstream when a reload keeps the spec, and reaps it on the last release', async () => {
    const spec: McpServer = { type: 'stdio', name: 'kept', command: process.execPath, args: [TINY_MCP], policy: 'onStart', callTimeout: '5s' };
    const v1 = compile(pool, spec, 'main@sha1:1');
    expect(await waitFor(() => v1.upstream.state === 'connected')).toBe(true);
    const pid = v1.upstream.pid!;
    // The same entry as YAML might spell it after an edit elsewhere in the file: other key order, ms.
    const respelled: McpServer = { callTimeout: 5000, policy: 'onStart', args: [TINY_MCP], command: process.execPath, name: 'kept', type: 'stdio' };
    const v2 = compile(pool, respelled, 'main@sha1:2');
    expect(v2.upstream).toBe(v1.upstream);
    expect(pool.refs(v1.upstream)).toBe(2);
    await v1.close();
    expect(v2.upstream.state).toBe('connected');
    expect(v2.upstream.pid).toBe(pid);
    expect(alive(pid)).toBe(true);
    await v2.close();
    expect(pool.refs(v2.upstream)).toBe(0);
    expect(v2.upstream.state).toBe('closed');
    expect(alive(pid)).toBe(false);
  });

  it('starts a new upstream for a changed spec', async () => {
    const a = compile(pool, { type: 'stdio', name: 'changed', command: process.execPath, args: [TINY_MCP] }, 'main@sha1:1');
    const b = compile(pool, { type: 'stdio', name: 'changed', command: process.execPath, args: [TINY_MCP, '--ignore-eof'] }, 'main@sha1:2');
    expect(b.upstream).not.toBe(a.upstream);
    expect(pool.size).toBe(2);
    await a.close();
    await b.close();
    expect(pool.size).toBe(0);
  });

  it('keys stdio specs by whether stdio is allowed', () => {
    const spec: McpServer = { type: 'stdio', name: 'gated', command: process.execPath, args: [TINY_MCP] };
    const denied = pool.retain(spec, { allowStdio: false, env: () => undefined });
    const allowed = pool.retain(spec, { allowStdio: true, env: () => undefined });
    expect(denied).not.toBe(allowed);
    expect(denied.state).toBe('failed');
    expect(pool.health().map((h) => h.name)).toEqual(['gated', 'gated']);
  });
});
