import { describe, expect, it } from 'bun:test';
import { resolve } from 'node:path';
import { parseConfigText } from '../../../gateway/config/load.ts';
import { checkConfigs } from '../../../gateway/config/validate.ts';
import {
  applyRouter,
  applyServer,
  applyTool,
  applyUpstream,
  configDetail,
  findRouter,
  findServer,
  findTool,
  findUpstream,
  newDocument,
  removeTool,
  routerValues,
  serverValues,
  toolValues,
  upstreamValues,
} from './edit.ts';

const SEED = resolve(import.meta.dir, '../../../config-repo/configs');
const SAMPLES = ['demo/users', 'demo/media', 'acme/weather', 'acme/upstreams'];
const read = (name: string) => Bun.file(`${SEED}/${name}.yaml`).text();

function names(text: string, key: 'tools' | 'servers' | 'mcpServers' | 'routers'): unknown[] {
  const doc = parseConfigText('configs/x/y.yaml', text).doc as unknown as Record<string, { name?: string }[] | undefined>;
  return (doc?.[key] ?? []).map((e, i) => e.name ?? i);
}

describe('config form edits', () => {
  it('leaves every sample byte for byte unchanged when each entry is saved as rendered', async () => {
    for (const sample of SAMPLES) {
      const text = await read(sample);
      for (const n of names(text, 'tools')) expect(applyTool(text, String(n), toolValues(findTool(text, String(n))))).toBe(text);
      for (const n of names(text, 'servers')) expect(applyServer(text, String(n), serverValues(findServer(text, String(n))))).toBe(text);
      for (const n of names(text, 'mcpServers')) expect(applyUpstream(text, String(n), upstreamValues(findUpstream(text, String(n))))).toBe(text);
      for (const i of names(text, 'routers')) expect(applyRouter(text, Number(i), routerValues(findRouter(text, Number(i))))).toBe(text);
    }
  });

  it('writes, edits and removes a router auth block, keeping comments and untouched routers byte for byte', async () => {
    const text = await read('demo/users');
    const values = routerValues(findRouter(text, 0));
    expect(values.authMode).toBe('');
    const withAuth = applyRouter(text, 0, {
      ...values,
      authMode: 'oauth2',
      authIssuer: ' https://auth.example.com ',
      authAudience: 'https://mcp.example.com/demo/users/mcp',
      authJwksUri: '',
      authScopes: 'tools:read, tools:call  admin',
    });
    const auth = (parseConfigText('configs/demo/users.yaml', withAuth).doc?.routers?.[0] as { auth?: unknown }).auth;
    expect(auth).toEqual({
      mode: 'oauth2',
      issuer: 'https://auth.example.com',
      audience: 'https://mcp.example.com/demo/users/mcp',
      requiredScopes: ['tools:read', 'tools:call', 'admin'],
    });
    expect(withAuth).toContain('    auth:\n      mode: oauth2\n      issuer: https://auth.example.com\n');
    expect(withAuth).toContain('requiredScopes: [tools:read, tools:call, admin]');
    for (const comment of text.split('\n').filter((l) => l.trim().startsWith('#'))) expect(withAuth).toContain(comment);

    // Saved as rendered: unchanged. A comment inside the block survives a change of another key.
    const rendered = routerValues(findRouter(withAuth, 0));
    expect(rendered.authScopes).toBe('tools:read tools:call admin');
    expect(applyRouter(withAuth, 0, rendered)).toBe(withAuth);
    const commented = withAuth.replace('      mode: oauth2\n', '      mode: oauth2 # MCP authorization\n');
    const edited = applyRouter(commented, 0, { ...routerValues(findRouter(commented, 0)), authJwksUri: 'https://auth.example.com/jwks' });
    expect(edited).toContain('      mode: oauth2 # MCP authorization\n');
    expect(edited).toContain('      jwksUri: https://auth.example.com/jwks\n');

    // None: the block goes, and the document is what it was.
    expect(applyRouter(withAuth, 0, { ...rendered, authMode: '' })).toBe(text);
    expect(() => applyRouter(text, 0, { ...values, authMode: 'basic' })).toThrow('authMode: must be none or oauth2');
  });

  it('shows the issuer of a router with auth in the overview detail', async () => {
    const text = await read('acme/weather');
    const out = applyRouter(text, 0, { ...routerValues(findRouter(text, 0)), authMode: 'oauth2', authIssuer: 'https://id.acme.test', authAudience: 'x' });
    expect(configDetail(out, '').routers[0]?.auth).toEqual({ mode: 'oauth2', issuer: 'https://id.acme.test' });
    expect(configDetail(text, '').routers[0]?.auth).toBeUndefined();
  });

  it('renames a tool in every allowedTools list when the tool is renamed', async () => {
    const text = await read('demo/users');
    const out = applyTool(text, 'get_user', { ...toolValues(findTool(text, 'get_user')), name: 'fetch_user' });
    expect(out).toContain('allowedTools: [list_users, fetch_user, create_user');
    expect(out).toContain('  - name: fetch_user\n');
    expect(out).not.toContain('name: get_user');
  });

  it('removes a tool from allowedTools when the tool is deleted', async () => {
    const text = await read('demo/users');
    const out = removeTool(text, 'delete_user');
    expect(out).not.toContain('delete_user');
    expect(out).toContain('# Only these tools are visible on the routers above.');
  });

  it('keeps a renamed server reachable when routers point at it', async () => {
    const text = await read('acme/weather');
    const out = applyServer(text, 'weather', { ...serverValues(findServer(text, 'weather')), name: 'forecast' });
    const parsed = parseConfigText('configs/acme/weather.yaml', out);
    expect(parsed.issues).toEqual([]);
    expect(checkConfigs([{ file: 'configs/acme/weather.yaml', doc: parsed.doc!, text: out }]).issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('keeps an argument node (and its items schema) when its row is saved unchanged after a new row', async () => {
    const text = await read('demo/users');
    const values = toolValues(findTool(text, 'create_user'));
    values.args.push({ orig: '', name: 'team', position: 'body', type: 'string', required: false, description: '', default: '', enum: '' });
    const out = applyTool(text, 'create_user', values);
    expect(out).toContain('enum: [math, poetry, crypto, computing, navy, compilers, ops]');
    expect(out).toContain('      - name: team\n        position: body\n        type: string\n');
  });

  it('refuses a field it cannot write with the field named when the input is invalid', async () => {
    const text = await read('demo/users');
    expect(() => applyTool(text, null, { ...toolValues(undefined), name: 'list_users', endpoint: 'http://x' })).toThrow('name: a tool named "list_users" already exists');
    expect(() => applyTool(text, null, { ...toolValues(undefined), name: 'x', endpoint: 'http://x', headers: 'no colon' })).toThrow('headers: line 1');
    expect(() => applyTool('a: [1\nb', null, { ...toolValues(undefined), name: 'x', endpoint: 'y' })).toThrow('YAML errors (line');
  });

  it('writes a new document that the gateway validator accepts', () => {
    const text = newDocument('acme', 'tickets', '/acme/tickets', 'tickets-api');
    const parsed = parseConfigText('configs/acme/tickets.yaml', text);
    expect(parsed.issues).toEqual([]);
    expect(checkConfigs([{ file: 'configs/acme/tickets.yaml', doc: parsed.doc!, text }]).issues).toEqual([]);
    expect(configDetail(text, 'http://gw:1/').routers[0]?.mcpUrl).toBe('http://gw:1/acme/tickets/mcp');
  });
});
