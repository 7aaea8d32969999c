import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type DemoBackend, startDemoBackend } from '../../demo/backend.ts';
import type { McpConfig } from '../config/schema.ts';
import type { ToolRuntime } from '../tools/http-tool.ts';
import { compileRestEndpoint } from '../tools/rest-endpoint.ts';
import { createSsrfGuard } from '../tools/ssrf.ts';
import { AggregateError, createAggregateEndpoint, type AggregateMember, type PrefixMode } from './aggregate.ts';
import { type CallContext, type Endpoint, McpMethodError } from './endpoint.ts';

let demo: DemoBackend;
beforeAll(() => {
  demo = startDemoBackend({ port: 0 });
});
afterAll(() => demo.stop());

const runtime: ToolRuntime = {
  env: () => undefined,
  guard: createSsrfGuard({ allowedNetworks: ['127.0.0.1'] }),
  defaultTimeoutMs: 5000,
  maxResponseBytes: 1 << 20,
};
const ctx: CallContext = { request: { headers: {}, query: {}, cookies: {} }, signal: new AbortController().signal };

/** Two REST servers: both offer get_user (a clash); only "admins" offers list_admins. */
function members(): AggregateMember[] {
  const config: McpConfig = {
    name: 'agg',
    tenant: 't',
    servers: [
      { name: 'users', allowedTools: ['get_user'], config: { base: demo.url } },
      { name: 'admins', allowedTools: ['get_user', 'list_admins'], config: { base: demo.url } },
    ],
    tools: [
      { name: 'get_user', description: 'A user', method: 'GET', endpoint: '{{.Config.base}}/users/1' },
      { name: 'list_admins', description: 'Admins', method: 'GET', endpoint: '{{.Config.base}}/users?role=admin' },
    ],
  };
  return (config.servers ?? []).map((server) => ({
    name: server.name,
    endpoint: compileRestEndpoint({ config, router: { server: server.name, prefix: '/t/agg' }, server, revision: 'r1' }, runtime),
  }));
}

function aggregate(prefixMode: PrefixMode, list = members()): Endpoint {
  return createAggregateEndpoint({
    prefix: '/t/agg',
    tenant: 't',
    configName: 'agg',
    ssePrefix: '',
    cors: undefined,
    members: list,
    prefixMode,
    failureMode: 'open',
    version: '0.0.0',
  });
}

describe('routing aggregate', () => {
  it('namespaces every tool when prefixMode is always', async () => {
    const names = (await aggregate('always').listTools(ctx)).map((t) => t.name);
    expect(names).toEqual(['users_get_user', 'admins_get_user', 'admins_list_admins']);
  });

  it('namespaces only clashing tools when prefixMode is conditional', async () => {
    const names = (await aggregate('conditional').listTools(ctx)).map((t) => t.name);
    expect(names).toEqual(['users_get_user', 'admins_get_user', 'list_admins']);
  });

  it('refuses at load a clash between REST members when prefixMode is never', () => {
    expect(() => aggregate('never')).toThrow(AggregateError);
  });

  it('dispatches a namespaced call to the member that owns it', async () => {
    const ep = aggregate('conditional');
    await ep.listTools(ctx);
    const r = await ep.callTool('list_admins', {}, ctx);
    expect(r.isError).toBeFalsy();
    const text = (r.content[0] as { text: string }).text;
    expect(JSON.parse(text).items.every((u: { role: string }) => u.role === 'admin')).toBe(true);
    const named = await ep.callTool('users_get_user', {}, ctx);
    expect(JSON.parse((named.content[0] as { text: string }).text).id).toBe('1');
  });

  it('resolves a name before any listing by listing on demand', async () => {
    const r = await aggregate('always').callTool('admins_get_user', {}, ctx);
    expect(r.isError).toBeFalsy();
  });

  it('answers -32602 for a name no member offers', async () => {
    const err = await aggregate('always').callTool('get_user', {}, ctx).catch((e) => e);
    expect(err).toBeInstanceOf(McpMethodError);
    expect((err as McpMethodError).rpcCode).toBe(-32602);
  });

  it('hides an unavailable member when failureMode is open and refuses when closed', async () => {
    const [users, admins] = members();
    if (!users || !admins) throw new Error('fixture');
    const broken: Endpoint = {
      ...users.endpoint,
      isAvailable: () => false,
      listTools: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9')),
      health: () => [{ name: 'down', type: 'sse', state: 'backoff', since: '', lastError: 'connect ECONNREFUSED 127.0.0.1:9', restarts: 1, sessions: 0 }],
    };
    const list = [{ name: 'down', endpoint: broken }, admins];
    const open = aggregate('always', list);
    expect((await open.listTools(ctx)).map((t) => t.name)).toEqual(['admins_get_user', 'admins_list_admins']);
    const closed = createAggregateEndpoint({
      prefix: '/t/agg', tenant: 't', configName: 'agg', ssePrefix: '', cors: undefined, members: list,
      prefixMode: 'always', failureMode: 'closed', version: '0.0.0',
    });
    const err = await closed.onInitialize?.(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(McpMethodError);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect(closed.isAvailable?.()).toBe(false);
  });
});
