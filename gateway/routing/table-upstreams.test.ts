import { afterEach, describe, expect, it } from 'bun:test';
import type { McpConfig } from '../config/schema.ts';
import { createSsrfGuard } from '../tools/index.ts';
import { deepFreeze } from '../tools/util.ts';
import { UpstreamPool } from '../upstream/index.ts';
import type { UpstreamEndpoint } from '../upstream/upstream-endpoint.ts';
import { AggregateError } from './aggregate.ts';
import { CompileCache, compileTable, type TableRuntime } from './table.ts';

// Nothing listens there and no policy connects at load: compiling never touches the network.
const UPSTREAM = { name: 'up', type: 'streamable-http' as const, url: 'http://127.0.0.1:9/mcp' };

function doc(extra: Partial<McpConfig> = {}): McpConfig {
  return deepFreeze({
    name: 'proxy',
    tenant: 'acme',
    routers: [
      { server: 'up', prefix: '/acme/up' },
      { servers: ['rest', 'up'], prefix: '/acme/both', prefixMode: 'always' },
    ],
    servers: [{ name: 'rest', allowedTools: ['ping'] }],
    tools: [{ name: 'ping', method: 'GET', endpoint: 'http://127.0.0.1:9/ping' }],
    mcpServers: [UPSTREAM],
    ...extra,
  } as McpConfig);
}

const pools: UpstreamPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.closeAll()));
});

function runtimeWith(pool?: UpstreamPool): TableRuntime {
  return {
    env: () => undefined,
    guard: createSsrfGuard({ allowedNetworks: ['127.0.0.1/32'] }),
    defaultTimeoutMs: 1000,
    maxResponseBytes: 1 << 20,
    ...(pool && { upstreams: { pool, allowStdio: false } }),
  };
}

function newPool(): UpstreamPool {
  const pool = new UpstreamPool({});
  pools.push(pool);
  return pool;
}

describe('compileTable with upstreams', () => {
  it('serves routers pointing at mcpServers and aggregates, one pooled Upstream per spec', () => {
    const pool = newPool();
    const { table, skipped } = compileTable('r1', [doc()], runtimeWith(pool), new CompileCache());
    expect(skipped).toEqual([]);
    const single = table.get('/acme/up') as UpstreamEndpoint;
    expect(single.serverName).toBe('up');
    expect(single.isAvailable()).toBe(true);
    expect(table.get('/acme/both')!.serverName).toBe('rest+up');
    expect(pool.size).toBe(1);
    expect(pool.refs(single.upstream)).toBe(2);
  });

  it('keeps the retain count balanced across cached, recompiled and retired documents', async () => {
    const pool = newPool();
    const runtime = runtimeWith(pool);
    const cache = new CompileCache();
    const a = doc();
    const first = compileTable('r1', [a], runtime, cache).table;
    const upstream = (first.get('/acme/up') as UpstreamEndpoint).upstream;
    // Reused as is: no second retain, and the reconciler will not close what the new table holds.
    const second = compileTable('r2', [a], runtime, cache).table;
    expect(second.get('/acme/up')).toBe(first.get('/acme/up')!);
    expect(pool.refs(upstream)).toBe(2);
    // A changed document retains the same Upstream again; retiring the old endpoints releases once each.
    const third = compileTable('r3', [doc({ servers: [{ name: 'rest', description: 'changed', allowedTools: ['ping'] }] })], runtime, cache).table;
    expect(third.get('/acme/up')).not.toBe(first.get('/acme/up')!);
    expect(pool.refs(upstream)).toBe(4);
    await Promise.all([...first.endpoints.values()].map((ep) => ep.close?.()));
    await Promise.all([...first.endpoints.values()].map((ep) => ep.close?.()));
    expect(pool.refs(upstream)).toBe(2);
    await Promise.all([...third.endpoints.values()].map((ep) => ep.close?.()));
    expect(pool.size).toBe(0);
    expect(upstream.state).toBe('closed');
  });

  it('fails the revision on a clash known at load under prefixMode never, releasing what it retained', () => {
    const pool = newPool();
    const runtime = runtimeWith(pool);
    const kept = compileTable('r1', [doc()], runtime, new CompileCache()).table;
    const upstream = (kept.get('/acme/up') as UpstreamEndpoint).upstream;
    const clash = doc({
      routers: [
        { server: 'up', prefix: '/acme/up' },
        { servers: ['rest', 'rest2'], prefix: '/acme/clash', prefixMode: 'never' },
      ],
      servers: [
        { name: 'rest', allowedTools: ['ping'] },
        { name: 'rest2', allowedTools: ['ping'] },
      ],
    });
    expect(() => compileTable('r2', [clash], runtime, new CompileCache())).toThrow(AggregateError);
    expect(() => compileTable('r2', [clash], runtime, new CompileCache())).toThrow('tool "ping" is offered by both "rest" and "rest2" (prefixMode never)');
    expect(pool.refs(upstream)).toBe(2);
    expect(pool.size).toBe(1);
  });

  it('skips upstream routers and aggregates with an upstream when the runtime has no pool', () => {
    const { table, skipped } = compileTable('r1', [doc()], runtimeWith(), new CompileCache());
    expect(table.endpoints.size).toBe(0);
    expect(skipped.map((s) => s.prefix)).toEqual(['/acme/up', '/acme/both']);
    expect(skipped[0]!.reason).toContain('no upstream pool');
  });

  it('does not serve aggregating routers that ask for auth (fail closed)', () => {
    const pool = newPool();
    const { table, skipped } = compileTable(
      'r1',
      [doc({ routers: [{ servers: ['rest', 'up'], prefix: '/acme/both', auth: { mode: 'oauth2' } }] })],
      runtimeWith(pool),
      new CompileCache(),
    );
    expect(table.endpoints.size).toBe(0);
    expect(skipped[0]!.reason).toContain('auth mode "oauth2" needs an issuer');
    expect(pool.size).toBe(0);
  });
});
