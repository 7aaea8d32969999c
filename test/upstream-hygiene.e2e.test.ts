/**
 * Processes of stdio upstreams behind a running gateway, counted from the OS (/proc), not from what the
 * gateway believes: 500 onDemand calls (a child each), a reload that removes the upstreams, and a
 * shutdown leave no process behind; a crashed child is reported, restarted, and the session goes on.
 */
import { afterAll, describe, expect, it } from 'bun:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpConfig } from '../gateway/config/schema.ts';
import type { RunningGateway } from '../gateway/gateway.ts';
import { LAUNCHER, TINY_MCP } from './fixtures/upstreams/everything.ts';
import { type ConfigRepo, configRepo, gatewayStatus, startTestGateway } from './fixtures/upstreams/gateway.ts';
import { descendants, inGroups, waitFor } from './fixtures/upstreams/procs.ts';

/** Calls one after the other (a child each), then calls from concurrent clients (overlapping ones share). */
const SEQUENTIAL_CALLS = 100;
const CLIENTS = 5;
const CALLS_PER_CLIENT = 80;

function textOf(result: CallToolResult): string {
  return result.content
    .filter((c) => c.type === 'text')
    .map((c) => (c as { text: string }).text)
    .join('\n');
}

async function connect(gateway: RunningGateway, prefix: string): Promise<Client> {
  const client = new Client({ name: 'hygiene', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.url}${prefix}/mcp`)));
  return client;
}

const repos: ConfigRepo[] = [];
afterAll(() => {
  for (const repo of repos) repo.cleanup();
});

describe('stdio upstream processes behind the gateway', () => {
  it('leaves no child behind after 500 onDemand calls, a reload that removes the upstreams and a shutdown', async () => {
    const baseline = new Set(descendants().map((p) => p.pid));
    const repo = configRepo();
    repos.push(repo);
    const doc: McpConfig = {
      name: 'stdio',
      tenant: 'hygiene',
      routers: [
        { server: 'tiny', prefix: '/hygiene/tiny' },
        { server: 'launched', prefix: '/hygiene/launched' },
      ],
      mcpServers: [
        { name: 'tiny', type: 'stdio', command: process.execPath, args: [TINY_MCP], policy: 'onDemand', idleTimeout: '0s' },
        // Behind a launcher that does not forward signals (as npx): the server is a grandchild.
        { name: 'launched', type: 'stdio', command: process.execPath, args: [LAUNCHER, process.execPath, TINY_MCP], policy: 'onStart' },
      ],
    };
    repo.write(doc);
    repo.write({ name: 'other', tenant: 'hygiene', routers: [{ server: 'kept', prefix: '/hygiene/kept' }], mcpServers: [{ name: 'kept', type: 'stdio', command: process.execPath, args: [TINY_MCP], policy: 'onStart' }] });
    const gateway = await startTestGateway(repo);
    try {
      const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(gateway, '/hygiene/tiny')));
      const pids = new Set<number>();
      const pgids = new Set<number>();
      let errors = 0;
      const call = async (client: Client): Promise<void> => {
        const result = (await client.callTool({ name: 'pid', arguments: {} })) as CallToolResult;
        if (result.isError) {
          errors++;
          return;
        }
        const info = JSON.parse(textOf(result)) as { pid: number; pgid: number };
        pids.add(info.pid);
        pgids.add(info.pgid);
      };
      for (let i = 0; i < SEQUENTIAL_CALLS; i++) await call(clients[0]!);
      expect(pids.size).toBe(SEQUENTIAL_CALLS);
      await Promise.all(
        clients.map(async (client) => {
          for (let i = 0; i < CALLS_PER_CLIENT; i++) await call(client);
        }),
      );
      expect(errors).toBe(0);
      // idleTimeout 0: the child closes whenever no call is in flight, so sequential calls had a child
      // each and concurrent ones shared while they overlapped; each child is gone once its calls ended.
      expect(pids.size).toBeGreaterThan(SEQUENTIAL_CALLS);
      expect(await waitFor(() => inGroups(pgids).length === 0, 5000)).toBe(true);
      console.log(`gateway hygiene: ${SEQUENTIAL_CALLS + CLIENTS * CALLS_PER_CLIENT} onDemand calls through the gateway used ${pids.size} children, none left`);

      const launched = await connect(gateway, '/hygiene/launched');
      const info = JSON.parse(textOf((await launched.callTool({ name: 'pid', arguments: {} })) as CallToolResult)) as { pgid: number };
      pgids.add(info.pgid);
      const kept = await connect(gateway, '/hygiene/kept');
      const keptInfo = JSON.parse(textOf((await kept.callTool({ name: 'pid', arguments: {} })) as CallToolResult)) as { pid: number; pgid: number };

      // The reload removes the document with tiny and launched: their children go (the launcher's
      // grandchild too); the other document's upstream keeps its child.
      repo.remove('hygiene', 'stdio');
      const reload = await gateway.reload('test');
      expect(['applied', 'unchanged']).toContain(reload.outcome);
      // Retired endpoints are closed after the drain (0 s here), a moment after the swap.
      expect(await waitFor(() => gateway.upstreams.size === 1, 5000)).toBe(true);
      expect((await gatewayStatus(gateway)).upstreams.map((u) => u.name)).toEqual(['kept']);
      expect(await waitFor(() => inGroups(pgids).length === 0, 5000)).toBe(true);
      expect(inGroups([keptInfo.pgid]).map((p) => p.pid)).toContain(keptInfo.pid);
      await Promise.all([...clients, launched, kept].map((c) => c.close()));
      pgids.add(keptInfo.pgid);

      await gateway.stop(2000);
      // stop() resolves once every child has exited: nothing to wait for.
      expect(descendants().filter((p) => !baseline.has(p.pid))).toEqual([]);
      expect(inGroups(pgids)).toEqual([]);
    } finally {
      await gateway.stop(2000);
    }
  }, 120_000);

  it('reports a crashed stdio upstream, restarts it, and serves the next call of the same session', async () => {
    const repo = configRepo();
    repos.push(repo);
    repo.write({
      name: 'crash',
      tenant: 'hygiene',
      routers: [{ server: 'crashy', prefix: '/hygiene/crashy' }],
      mcpServers: [{ name: 'crashy', type: 'stdio', command: process.execPath, args: [TINY_MCP], policy: 'onStart' }],
    });
    const gateway = await startTestGateway(repo);
    try {
      const client = await connect(gateway, '/hygiene/crashy');
      let listChanged = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        listChanged++;
      });
      const first = JSON.parse(textOf((await client.callTool({ name: 'pid', arguments: {} })) as CallToolResult)) as { pid: number };
      const before = (await gatewayStatus(gateway)).upstreams[0]!;
      expect(before).toMatchObject({ name: 'crashy', type: 'stdio', state: 'connected', restarts: 0, pid: first.pid });

      process.kill(first.pid, 'SIGKILL');
      let seen = before;
      for (const deadline = Date.now() + 5000; seen.state === 'connected' && Date.now() < deadline; await Bun.sleep(10)) {
        seen = (await gatewayStatus(gateway)).upstreams[0]!;
      }
      expect(['backoff', 'starting']).toContain(seen.state);
      expect(seen.lastError).toBe('killed by SIGKILL');

      // Calls during the backoff fail with the reason; once restarted, the same session is served.
      let result: CallToolResult | undefined;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        result = (await client.callTool({ name: 'pid', arguments: {} })) as CallToolResult;
        if (!result.isError) break;
        expect(textOf(result)).toBe('upstream "crashy": killed by SIGKILL');
        await Bun.sleep(100);
      }
      expect(result?.isError ?? false).toBe(false);
      const second = JSON.parse(textOf(result!)) as { pid: number };
      expect(second.pid).not.toBe(first.pid);
      const after = (await gatewayStatus(gateway)).upstreams[0]!;
      expect(after).toMatchObject({ state: 'connected', restarts: 1, pid: second.pid, lastError: 'killed by SIGKILL' });
      expect(await (await fetch(`${gateway.url}/metrics`)).text()).toContain('upstream_restarts_total{upstream="crashy"} 1');
      // The client was told to list tools again after the restart.
      expect(await waitFor(() => listChanged > 0, 2000)).toBe(true);
      await client.close();
    } finally {
      await gateway.stop(2000);
    }
  }, 30_000);
});
