/**
 * Routers with `auth` end to end: a loopback authorization server (metadata + JWKS, keys made by jose),
 * a loopback REST backend and the real gateway in process, driven by raw HTTP and by the official MCP SDK
 * client over Streamable HTTP and legacy SSE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { loadSettings } from '../gateway/config/settings.ts';
import { type RunningGateway, startGateway } from '../gateway/gateway.ts';
import { createLogger } from '../gateway/obs/log.ts';

const AUDIENCE = 'https://mcp.example/acme/secure/mcp';
const SCOPE = 'mcp:tools';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let keys: KeyPair;
let otherKeys: KeyPair;
let issuerServer: ReturnType<typeof Bun.serve>;
let blockedServer: ReturnType<typeof Bun.serve> | undefined;
let backend: ReturnType<typeof Bun.serve>;
let issuer: string;
let gateway: RunningGateway;
let dir: string;
/** Requests the authorization servers received, by path. */
const hits: string[] = [];
const logLines: string[] = [];

function authServer(hostname: string, jwk: JWK) {
  return Bun.serve({
    hostname,
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      hits.push(`${hostname}${url.pathname}`);
      const self = `http://${hostname}:${url.port}`;
      if (url.pathname === '/.well-known/openid-configuration') return Response.json({ issuer: self, jwks_uri: `${self}/jwks` });
      if (url.pathname === '/jwks') return Response.json({ keys: [jwk] });
      return new Response('not found', { status: 404 });
    },
  });
}

async function token(claims: Record<string, unknown> = {}, opts: { key?: KeyPair; exp?: number | string; iss?: string; aud?: string; sub?: string } = {}): Promise<string> {
  return new SignJWT({ scope: SCOPE, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject(opts.sub ?? 'alice')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign((opts.key ?? keys).privateKey);
}

function post(prefix: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.url}${prefix}/mcp`, { method: 'POST', headers: { ...MCP_HEADERS, ...headers }, body: JSON.stringify(body) });
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

beforeAll(async () => {
  keys = await generateKeyPair('RS256');
  otherKeys = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  issuerServer = authServer('127.0.0.1', jwk);
  issuer = `http://127.0.0.1:${issuerServer.port}`;
  try {
    // Loopback, but outside the allowed networks: the gateway must refuse to fetch keys from it.
    blockedServer = authServer('127.0.0.2', jwk);
  } catch {
    blockedServer = undefined;
  }
  const blocked = blockedServer ? `http://127.0.0.2:${blockedServer.port}` : 'http://127.0.0.2:9';
  backend = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req) => Response.json({ authorization: req.headers.get('authorization') }),
  });

  dir = mkdtempSync(join(tmpdir(), 'auth-e2e-'));
  mkdirSync(join(dir, 'configs', 'acme'), { recursive: true });
  writeFileSync(
    join(dir, 'configs', 'acme', 'secure.yaml'),
    `name: secure
tenant: acme
routers:
  - server: api
    prefix: /acme/secure
    auth:
      mode: oauth2
      issuer: ${issuer}
      audience: ${AUDIENCE}
      jwksUri: ${issuer}/jwks
      requiredScopes: [${SCOPE}]
  - server: api
    prefix: /acme/discovered
    auth:
      mode: oauth2
      issuer: ${issuer}
      audience: ${AUDIENCE}
  - server: api
    prefix: /acme/blocked
    auth:
      mode: oauth2
      issuer: ${blocked}
      audience: ${AUDIENCE}
  - server: api
    prefix: /acme/noissuer
    auth:
      mode: oauth2
  - server: api
    prefix: /acme/open
servers:
  - name: api
    allowedTools: [whoami]
tools:
  - name: whoami
    method: GET
    endpoint: http://127.0.0.1:${backend.port}/whoami
`,
  );
  const { settings, issues } = loadSettings({
    argv: ['--config', dir, '--host', '127.0.0.1', '--port', '0', '--allowed-networks', '127.0.0.1/32'],
    env: {},
  });
  expect(issues).toEqual([]);
  settings.reload.pollInterval = 0;
  const logger = createLogger('warn', { write: (line: string) => void logLines.push(line) });
  gateway = await startGateway(settings, { logger });
});

afterAll(async () => {
  await gateway?.stop(2000);
  issuerServer?.stop(true);
  blockedServer?.stop(true);
  backend?.stop(true);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('routers with auth', () => {
  it('answers 401 with the resource metadata challenge when no token is sent', async () => {
    const res = await post('/acme/secure', INIT);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${gateway.url}/acme/secure/.well-known/oauth-protected-resource", scope="${SCOPE}"`,
    );
  });

  it('does not authenticate CORS preflights', async () => {
    const res = await fetch(`${gateway.url}/acme/secure/mcp`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
  });

  it('serves the protected resource metadata at both well-known locations', async () => {
    const expected = {
      resource: `${gateway.url}/acme/secure/mcp`,
      authorization_servers: [issuer],
      scopes_supported: [SCOPE],
      bearer_methods_supported: ['header'],
    };
    for (const path of ['/.well-known/oauth-protected-resource/acme/secure', '/acme/secure/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/acme/secure/mcp']) {
      const res = await fetch(`${gateway.url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(expected);
    }
    expect((await fetch(`${gateway.url}/.well-known/oauth-protected-resource/acme/open`)).status).toBe(404);
  });

  const refusals: Array<[string, () => Promise<string>, number, string]> = [
    ['an expired token', () => token({}, { exp: Math.floor(Date.now() / 1000) - 600 }), 401, 'invalid_token'],
    ['a token for another audience', () => token({}, { aud: 'https://other.example/mcp' }), 401, 'invalid_token'],
    ['a token of another issuer', () => token({}, { iss: 'https://evil.example' }), 401, 'invalid_token'],
    ['a token signed with another key', () => token({}, { key: otherKeys }), 401, 'invalid_token'],
    ['a token that is not a JWT', async () => 'not-a-jwt', 401, 'invalid_token'],
    ['a token without the required scope', () => token({ scope: 'other' }), 403, 'insufficient_scope'],
  ];
  for (const [what, make, status, error] of refusals) {
    it(`answers ${status} ${error} for ${what}`, async () => {
      const res = await post('/acme/secure', INIT, { authorization: `Bearer ${await make()}` });
      expect(res.status).toBe(status);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toStartWith(`Bearer resource_metadata="${gateway.url}/acme/secure/.well-known/oauth-protected-resource"`);
      expect(challenge).toContain(`error="${error}"`);
      if (status === 403) expect(challenge).toContain(`scope="${SCOPE}"`);
    });
  }

  it('lets the SDK client list and call tools over Streamable HTTP with a valid token, and keeps the token from the backend', async () => {
    const client = new Client({ name: 'auth-e2e', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/acme/secure/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${await token()}` } },
    });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['whoami']);
      const result = (await client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
      expect(JSON.parse(textOf(result))).toEqual({ authorization: null });
    } finally {
      await client.close();
    }
  });

  it('discovers the keys from the issuer metadata when jwksUri is not set', async () => {
    const res = await post('/acme/discovered', INIT, { authorization: `Bearer ${await token()}` });
    expect(res.status).toBe(200);
    expect(hits).toContain('127.0.0.1/.well-known/openid-configuration');
  });

  it('refuses a session to a token of another subject', async () => {
    const alice = `Bearer ${await token()}`;
    const init = await post('/acme/secure', INIT, { authorization: alice });
    expect(init.status).toBe(200);
    const sessionId = init.headers.get('mcp-session-id')!;
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    const asBob = await post('/acme/secure', list, { authorization: `Bearer ${await token({}, { sub: 'bob' })}`, 'mcp-session-id': sessionId });
    expect(asBob.status).toBe(403);
    const asAlice = await post('/acme/secure', list, { authorization: alice, 'mcp-session-id': sessionId });
    expect(asAlice.status).toBe(200);
  });

  it('serves legacy SSE with a valid token and refuses it without one', async () => {
    expect((await fetch(`${gateway.url}/acme/secure/sse`, { headers: { accept: 'text/event-stream' } })).status).toBe(401);
    const client = new Client({ name: 'auth-e2e-sse', version: '1.0.0' });
    await client.connect(
      new SSEClientTransport(new URL(`${gateway.url}/acme/secure/sse`), { requestInit: { headers: { Authorization: `Bearer ${await token()}` } } }),
    );
    try {
      const result = (await client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
    } finally {
      await client.close();
    }
    const message = await fetch(`${gateway.url}/acme/secure/message?sessionId=x`, { method: 'POST', headers: MCP_HEADERS, body: '{}' });
    expect(message.status).toBe(401);
  });

  it('fails closed when the issuer\'s keys sit outside the allowed networks', async () => {
    const res = await post('/acme/blocked', INIT, { authorization: `Bearer ${await token()}` });
    expect(res.status).toBe(503);
    expect(hits.some((h) => h.startsWith('127.0.0.2'))).toBe(false);
    expect(logLines.some((l) => l.includes('cannot obtain the issuer') && l.includes('SSRF guard'))).toBe(true);
  });

  it('does not serve a router with auth but no issuer, and says why in /_status', async () => {
    expect((await post('/acme/noissuer', INIT)).status).toBe(404);
    const status = (await (await fetch(`${gateway.url}/_status`)).json()) as {
      skippedRouters: Array<{ prefix: string; reason: string }>;
      routers: Array<{ prefix: string; auth?: { mode: string; issuer: string } }>;
    };
    expect(status.skippedRouters.find((r) => r.prefix === '/acme/noissuer')?.reason).toContain('needs an issuer');
    expect(status.routers.find((r) => r.prefix === '/acme/secure')?.auth).toEqual({ mode: 'oauth2', issuer });
    expect(status.routers.find((r) => r.prefix === '/acme/open')?.auth).toBeUndefined();
  });
});
