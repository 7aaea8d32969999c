/**
 * Process hygiene, counted from the OS (/proc), not from what the gateway believes: hundreds of onDemand
 * children (some behind an npx-like launcher, i.e. grandchildren) started and stopped, then closeAll,
 * leave no process behind, neither among our descendants nor in the process groups the children led.
 */
import { describe, expect, it } from 'bun:test';
import type { McpConfig, McpServer } from '../config/schema.ts';
import { callContext } from '../../test/fixtures/upstreams/client-session.ts';
import { LAUNCHER, TINY_MCP } from '../../test/fixtures/upstreams/everything.ts';
import { descendants, inGroups } from '../../test/fixtures/upstreams/procs.ts';
import { UpstreamPool } from './pool.ts';
import { compileUpstreamEndpoint, type UpstreamEndpoint } from './upstream-endpoint.ts';

const LANES = 5;
const CALLS_PER_LANE = 100;

function endpointFor(pool: UpstreamPool, spec: McpServer): UpstreamEndpoint {
  const config: McpConfig = { name: 'hygiene', tenant: 'test', routers: [{ prefix: `/h/${spec.name}`, server: spec.name }], mcpServers: [spec] };
  return compileUpstreamEndpoint({ config, router: config.routers![0]!, upstream: spec, revision: 'main@sha1:test' }, { pool, allowStdio: true, env: () => undefined });
}

describe('upstream process hygiene', () => {
  it('leaves no child behind after 500 onDemand calls and closeAll', async () => {
    const baseline = new Set(descendants().map((p) => p.pid));
    const pool = new UpstreamPool({ killGraceMs: 500 });
    const endpoints = Array.from({ length: LANES }, (_, lane) =>
      endpointFor(pool, {
        type: 'stdio',
        name: `lane-${lane}`,
        command: process.execPath,
        // Lane 0 runs its server behind a launcher that does not forward signals (npx-like).
        args: lane === 0 ? [LAUNCHER, process.execPath, TINY_MCP, `--lane=${lane}`] : [TINY_MCP, `--lane=${lane}`],
        policy: 'onDemand',
        idleTimeout: 0,
      }),
    );
    const pids = new Set<number>();
    const pgids = new Set<number>();
    let errors = 0;
    const started = performance.now();
    await Promise.all(
      endpoints.map(async (endpoint) => {
        for (let i = 0; i < CALLS_PER_LANE; i++) {
          const result = await endpoint.callTool('pid', {}, callContext());
          if (result.isError) {
            errors++;
            continue;
          }
          const info = JSON.parse((result.content[0] as { text: string }).text) as { pid: number; pgid: number };
          pids.add(info.pid);
          pgids.add(info.pgid);
        }
      }),
    );
    const callsMs = performance.now() - started;
    expect(errors).toBe(0);
    // idleTimeout 0: every call had a child of its own.
    expect(pids.size).toBe(LANES * CALLS_PER_LANE);

    await pool.closeAll();
    const leftover = descendants().filter((p) => !baseline.has(p.pid));
    expect(leftover).toEqual([]);
    expect(inGroups(pgids)).toEqual([]);
    console.log(`hygiene: ${LANES * CALLS_PER_LANE} onDemand calls (one child each) in ${Math.round(callsMs)} ms; closeAll left 0 processes`);
  }, 60_000);

  it('serves concurrent bursts on one onDemand upstream closing after every idle moment', async () => {
    const baseline = new Set(descendants().map((p) => p.pid));
    const pool = new UpstreamPool({ killGraceMs: 500 });
    const endpoint = endpointFor(pool, { type: 'stdio', name: 'bursty', command: process.execPath, args: [TINY_MCP], policy: 'onDemand', idleTimeout: 0 });
    const pgids = new Set<number>();
    let errors = 0;
    for (let burst = 0; burst < 20; burst++) {
      const size = 1 + (burst % 10);
      const results = await Promise.all(Array.from({ length: size }, () => endpoint.callTool('pid', {}, callContext())));
      for (const result of results) {
        if (result.isError) errors++;
        else pgids.add(JSON.parse((result.content[0] as { text: string }).text).pgid);
      }
    }
    expect(errors).toBe(0);
    expect(pgids.size).toBeGreaterThanOrEqual(2);
    await pool.closeAll();
    expect(descendants().filter((p) => !baseline.has(p.pid))).toEqual([]);
    expect(inGroups(pgids)).toEqual([]);
  }, 30_000);
});
