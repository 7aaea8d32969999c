import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type DemoBackend, startDemoBackend } from '../../demo/backend.ts';
import type { McpConfig, Router, Server } from '../config/schema.ts';
import { type CallContext, McpMethodError } from '../routing/endpoint.ts';
import { ToolCompileError } from './args.ts';
import { GATEWAY_VERSION, type ToolRuntime } from './http-tool.ts';
import { compileRestEndpoint } from './rest-endpoint.ts';
import { createSsrfGuard } from './ssrf.ts';

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

function makeConfig(overrides: Partial<McpConfig> = {}): { config: McpConfig; router: Router; server: Server } {
  const router: Router = {
    server: 'users-api',
    prefix: '/acme/users/',
    ssePrefix: '/gw',
    cors: { allowOrigins: ['https://console.example', '*'], allowCredentials: true, maxAge: 600 },
  };
  const server: Server = {
    name: 'users-api',
    description: 'User directory of Acme',
    allowedTools: ['get_user', 'list_users'],
    config: { base: demo.url },
  };
  const config: McpConfig = {
    name: 'users',
    tenant: 'acme',
    routers: [router],
    servers: [server],
    tools: [
      { name: 'list_users', description: 'List users', method: 'GET', endpoint: '{{.Config.base}}/users', annotations: { readOnlyHint: true, title: 'List' } },
      {
        name: 'get_user',
        description: 'One user',
        method: 'GET',
        endpoint: '{{.Config.base}}/users/{{.Args.id}}',
        args: [{ name: 'id', position: 'path', type: 'string', required: true }],
        meta: { owner: 'team-a' },
      },
      { name: 'hidden', method: 'DELETE', endpoint: '{{.Config.base}}/users' },
    ],
    prompts: [
      {
        name: 'triage',
        description: 'Triage a user',
        arguments: [{ name: 'id', required: true }],
        promptResponse: [{ role: 'user', content: { type: 'text', text: 'Look at user {id}.' } }],
      },
    ],
    ...overrides,
  };
  return { config, router, server };
}

describe('rest-endpoint', () => {
  it('describes the server in serverInfo, instructions and capabilities when compiled', () => {
    const endpoint = compileRestEndpoint({ ...makeConfig(), revision: 'main@sha1:abc' }, runtime);
    expect(endpoint.prefix).toBe('/acme/users');
    expect(endpoint.tenant).toBe('acme');
    expect(endpoint.configName).toBe('users');
    expect(endpoint.serverName).toBe('users-api');
    expect(endpoint.ssePrefix).toBe('/gw');
    expect(endpoint.revision).toBe('main@sha1:abc');
    expect(endpoint.serverInfo).toEqual({ name: 'mcp-gateway', title: 'users-api', version: GATEWAY_VERSION });
    expect(endpoint.instructions).toBe('User directory of Acme');
    expect(endpoint.capabilities).toEqual({ tools: { listChanged: true }, prompts: { listChanged: true }, logging: {} });
    expect(endpoint.cors?.anyOrigin).toBe(true);
    expect([...(endpoint.cors?.origins ?? [])]).toEqual(['https://console.example']);
    expect(endpoint.cors?.allowCredentials).toBe(true);
    expect(endpoint.cors?.maxAge).toBe(600);
  });

  it('lists only allowed tools in allowedTools order as one frozen array when listed twice', () => {
    const endpoint = compileRestEndpoint({ ...makeConfig(), revision: 'r' }, runtime);
    const list = endpoint.listTools(ctx) as unknown[];
    expect(list).toBe(endpoint.listTools(ctx) as unknown[]);
    expect(Object.isFrozen(list)).toBe(true);
    expect(list).toEqual([
      {
        name: 'get_user',
        description: 'One user',
        inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        _meta: { owner: 'team-a' },
      },
      {
        name: 'list_users',
        description: 'List users',
        inputSchema: { type: 'object', properties: {} },
        annotations: { readOnlyHint: true, title: 'List' },
      },
    ]);
  });

  it('offers no prompts capability when the config has no prompts', () => {
    const endpoint = compileRestEndpoint({ ...makeConfig({ prompts: [] }), revision: 'r' }, runtime);
    expect(endpoint.capabilities).toEqual({ tools: { listChanged: true }, logging: {} });
    expect(endpoint.listPrompts(ctx)).toEqual([]);
  });

  it('keeps listHash when recompiled unchanged and changes it when a tool changes', () => {
    const a = compileRestEndpoint({ ...makeConfig(), revision: 'r1' }, runtime);
    const b = compileRestEndpoint({ ...makeConfig(), revision: 'r2' }, runtime);
    expect(a.listHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.listHash).toBe(a.listHash);
    const changed = makeConfig();
    changed.config.tools![0]!.description = 'List all users';
    expect(compileRestEndpoint({ ...changed, revision: 'r3' }, runtime).listHash).not.toBe(a.listHash);
  });

  it('calls the backend when an allowed tool is called', async () => {
    const endpoint = compileRestEndpoint({ ...makeConfig(), revision: 'r' }, runtime);
    const result = await endpoint.callTool('get_user', { id: '1' }, ctx);
    expect(result.isError).toBeUndefined();
    const block = result.content[0];
    expect(block?.type === 'text' && JSON.parse(block.text).name).toBe('Ada Lovelace');
  });

  it('rejects with -32602 when the tool is unknown or not allowed', async () => {
    const endpoint = compileRestEndpoint({ ...makeConfig(), revision: 'r' }, runtime);
    for (const name of ['nope', 'hidden']) {
      const err = await endpoint.callTool(name, {}, ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpMethodError);
      expect((err as McpMethodError).rpcCode).toBe(-32602);
      expect((err as McpMethodError).message).toBe(`unknown tool "${name}"`);
    }
  });

  it('rejects with -32602 when arguments are not an object', async () => {
    const endpoint = compileRestEndpoint({ ...makeConfig(), revision: 'r' }, runtime);
    const err = await endpoint.callTool('get_user', ['1'] as unknown as Record<string, unknown>, ctx).catch((e: unknown) => e);
    expect((err as McpMethodError).rpcCode).toBe(-32602);
  });

  it('serves the config prompts when asked for one', async () => {
    const endpoint = compileRestEndpoint({ ...makeConfig(), revision: 'r' }, runtime);
    expect(await endpoint.getPrompt('triage', { id: '3' }, ctx)).toEqual({
      description: 'Triage a user',
      messages: [{ role: 'user', content: { type: 'text', text: 'Look at user 3.' } }],
    });
    expect(() => endpoint.getPrompt('triage', {}, ctx)).toThrow('prompt "triage": missing required argument "id"');
  });

  it('throws at compile time when allowedTools names an unknown tool', () => {
    const bad = makeConfig();
    bad.server.allowedTools = ['get_user', 'ghost'];
    expect(() => compileRestEndpoint({ ...bad, revision: 'r' }, runtime)).toThrow(ToolCompileError);
  });

  it('throws at compile time when a template does not parse', () => {
    const bad = makeConfig();
    bad.config.tools![0]!.endpoint = '{{ .Config.base';
    expect(() => compileRestEndpoint({ ...bad, revision: 'r' }, runtime)).toThrow(/^tool "list_users": endpoint: template: 1:/);
  });
});
