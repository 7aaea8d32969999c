import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { type Caller, type Harness, harness, ORIGIN } from '../../test-support.ts';
import { type ConfigStack, configStack, git, send, type SendOptions, stackHarness } from '../console/test-stack.ts';

const USERS = 'configs/demo/users.yaml';
const MEDIA = 'configs/demo/media.yaml';
const WEATHER = 'configs/acme/weather.yaml';

let fx: ConfigStack;
let h: Harness;
let dora: Caller & { id: string };

beforeAll(async () => {
  fx = await configStack();
  h = await stackHarness(fx);
  const demo = await h.tenant('demo', '/demo');
  await h.tenant('acme', '/acme');
  dora = await h.member('dora', [demo.id]);
});

afterAll(async () => {
  await h.close();
  await fx.close();
});

type Send = Omit<SendOptions, 'form'>;

function request(method: string, path: string, form: Record<string, string> | undefined, o: Send = {}): Promise<Response> {
  return send(h.app, ORIGIN, method, path, { ...o, as: o.as ?? h.admin, ...(form ? { form } : {}) });
}

const get = (path: string, o: Send = {}) => request('GET', path, undefined, o);
const post = (path: string, fields: Record<string, string>, o: Send = {}) => request('POST', path, fields, o);

/** The blob sha a page's forms carry. */
async function baseOf(path: string, as?: Caller): Promise<string> {
  const res = await get(path, { as });
  const html = await res.text();
  const m = /name="base" value="([0-9a-f]{40})"/.exec(html);
  if (!m) throw new Error(`no base on ${path} (${res.status}): ${html.slice(0, 300)}`);
  return m[1]!;
}

/** The YAML text of a config as its editor shows it (unescaped). */
async function yamlOf(tenant: string, name: string): Promise<{ text: string; base: string }> {
  const text = (await fx.file(`configs/${tenant}/${name}.yaml`)) ?? '';
  return { text, base: await baseOf(`/configs/${tenant}/${name}/yaml`) };
}

const unescape = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#x27;/g, "'").replace(/&amp;/g, '&');

/** The fields a browser would submit from form `id` (no submit buttons; checked boxes only). */
function formFields(html: string, id: string): Record<string, string> {
  const start = html.indexOf(`<form id="${id}"`);
  const form = html.slice(start, html.indexOf('</form>', start));
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  const out: Record<string, string> = {};
  for (const [tag] of form.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (!name) continue;
    if (attr(tag, 'type') === 'checkbox' && !/\schecked/.test(tag)) continue;
    out[name] = unescape(attr(tag, 'value') ?? '');
  }
  for (const m of form.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) out[attr(m[1]!, 'name')!] = unescape(m[2]!).replace(/^\n/, '');
  for (const m of form.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    out[attr(m[1]!, 'name')!] = unescape(/<option value="([^"]*)"[^>]*selected/.exec(m[2]!)?.[1] ?? /<option value="([^"]*)"/.exec(m[2]!)?.[1] ?? '');
  }
  return out;
}

describe('config pages', () => {
  it('lists the configs grouped by tenant with client URLs when an admin asks', async () => {
    const res = await get('/configs');
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('data-tenant="acme"');
    expect(html).toContain('data-tenant="demo"');
    expect(html).toContain('href="/configs/demo/users"');
    expect(html).toContain(`${fx.gateway.url}/demo/users/mcp`);
    expect(html).toContain('id="new-config"');
  });

  it('shows a member only their tenant and answers 404 for another tenant when a member asks', async () => {
    const html = await (await get('/configs', { as: dora })).text();
    expect(html).toContain('href="/configs/demo/users"');
    expect(html).not.toContain('acme');
    expect((await get('/configs/acme/weather', { as: dora })).status).toBe(404);
    expect((await get('/configs/acme/weather/yaml', { as: dora })).status).toBe(404);
    const tip = await fx.tip();
    const res = await post('/configs/acme/weather/yaml', { text: 'name: weather\ntenant: acme\n', base: '0'.repeat(40) }, { as: dora });
    expect(res.status).toBe(404);
    expect(await fx.tip()).toBe(tip);
  });

  it('shows copyable client URLs of each router on the overview', async () => {
    const html = await (await get('/configs/demo/users')).text();
    expect(html).toMatch(new RegExp(`<input[^>]*id="url-0-mcp"[^>]*value="${fx.gateway.url}/demo/users/mcp"[^>]*readonly`));
    expect(html).toContain(`value="${fx.gateway.url}/demo/users/sse"`);
    expect(html).toContain('id="url-1-mcp"');
    expect(html).toContain('<label for="url-0-mcp"');
    expect(html).not.toContain('hx-on');
  });

  it('creates a config as a member and redirects to it when the create form is posted', async () => {
    const before = fx.gateway.reloads.length;
    const res = await post(
      '/configs',
      { tenant: 'demo', name: 'tickets', prefix: '/demo/tickets', server: 'tickets-api', message: '' },
      { as: dora, csrf: 'field' },
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/configs/demo/tickets');
    const text = await fx.file('configs/demo/tickets.yaml');
    expect(text).toContain('prefix: /demo/tickets');
    expect((await fx.head()).author).toBe('dora <dora@users.noreply.mcp-gateway>');
    expect(fx.gateway.reloads.length).toBe(before + 1);
    expect(fx.gateway.refused).toBe(0);
    const audit = await h.store.audit.list({ action: 'config.create', limit: 5 });
    expect(audit[0]?.target).toBe('config:demo/tickets');
    expect(audit[0]?.details.commit).toBe(await fx.tip());
    const page = await (await get('/configs/demo/tickets', { as: dora })).text();
    expect(page).toContain('tickets-api');
  });

  it('refuses a router prefix outside the tenant prefix with 400 when creating', async () => {
    const tip = await fx.tip();
    const res = await post('/configs', { tenant: 'demo', name: 'stray', prefix: '/acme/stray', server: 'stray' }, { as: dora });
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(html).toContain('outside tenant');
    expect(html).toMatch(/line \d+/);
    expect(html).toContain('value="stray"');
    expect(await fx.tip()).toBe(tip);
  });

  it('answers 404 and writes nothing when a member creates a config in a tenant they cannot see', async () => {
    const tip = await fx.tip();
    const res = await post('/configs', { tenant: 'acme', name: 'sneaky', prefix: '/acme/sneaky', server: 'x' }, { as: dora });
    expect(res.status).toBe(404);
    expect(await fx.tip()).toBe(tip);
  });

  it('answers 409 with the form kept when a tool form was rendered from an older version', async () => {
    const form = await (await get('/configs/acme/weather/tools/get_forecast')).text();
    const fields: Record<string, string> = { ...formFields(form, 'tool-form'), op: 'save', description: 'Stale edit.' };
    const { text, base } = await yamlOf('acme', 'weather');
    expect((await post('/configs/acme/weather/yaml', { base, text: `${text}# moved on\n` })).status).toBe(200);
    const count = await fx.count();
    const res = await post('/configs/acme/weather/tools/get_forecast', fields, { htmx: true });
    const html = await res.text();
    expect(res.status).toBe(409);
    expect(html).toContain('id="conflict"');
    expect(html).toContain('since you opened it');
    expect(html).toContain('id="reload-link" href="/configs/acme/weather/tools/get_forecast"');
    expect(html).toContain('Stale edit.');
    expect(await fx.count()).toBe(count);
  });

  it('adds a tool with the form as the console user, keeping comments and listing it in allowedTools', async () => {
    const before = (await fx.file(USERS))!;
    const form = await (await get('/configs/demo/users/tools/new', { as: dora })).text();
    const base = formFields(form, 'tool-form').base!;
    expect(form).toContain('id="tool-form"');
    expect(form).toContain('id="expose-note"');
    const res = await post(
      '/configs/demo/users/tools',
      {
        base,
        op: 'save',
        name: 'count_users',
        method: 'GET',
        endpoint: '{{ .Config.base }}/users/count',
        description: 'Count users.',
        headers: '',
        requestBody: '',
        responseBody: '{{ .Response.Data.total }} users',
        expose: 'users-api',
        'arg-0-orig': '',
        'arg-0-name': 'role',
        'arg-0-position': 'query',
        'arg-0-type': 'string',
        'arg-0-description': 'Only this role.',
        'arg-0-default': '',
        'arg-0-enum': 'admin, user',
        'arg-0-required': 'on',
      },
      { as: dora, csrf: 'field' },
    );
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('id="save-result"');
    expect(html).toContain('data-state="applied"');
    const after = (await fx.file(USERS))!;
    expect(after).toContain('  - name: count_users\n    description: Count users.\n    method: GET\n');
    expect(after).toContain('        enum: [admin, user]');
    expect(after).toContain('        required: true');
    expect(after).toContain('allowedTools: [list_users, get_user, create_user, update_user, delete_user, echo_everything, inspect_request, count_users]');
    // Everything before the new tool is byte for byte what it was, comments included.
    const untouched = before.replace('inspect_request]', 'inspect_request, count_users]');
    expect(after.startsWith(untouched.slice(0, untouched.indexOf('prompts:')))).toBe(true);
    expect(after).toContain('# Direct access: http://127.0.0.1:5235/demo/users/mcp');
    expect((await fx.head()).author).toBe('dora <dora@users.noreply.mcp-gateway>');
    expect((await fx.head()).subject).toBe('demo/users: add tool count_users');
  });

  it('changes one field of an existing tool and leaves the rest of the file as it was', async () => {
    const before = (await fx.file(MEDIA))!;
    const form = await (await get('/configs/demo/media/tools/get_status')).text();
    const base = /name="base" value="([0-9a-f]{40})"/.exec(form)![1]!;
    // Submit the form as a browser would (every field as rendered), with one description changed.
    const fields: Record<string, string> = { ...formFields(form, 'tool-form'), op: 'save', description: 'Ask for a status code.' };
    expect(fields.base).toBe(base);
    const res = await post('/configs/demo/media/tools/get_status', fields);
    expect(res.status).toBe(200);
    const after = (await fx.file(MEDIA))!;
    const oldLine = /\n {4}description: (.*)\n {4}method: GET\n {4}endpoint: "\{\{ \.Config\.base \}\}\/status/.exec(before)![1]!;
    expect(after).toBe(before.replace(`description: ${oldLine}`, 'description: Ask for a status code.'));
  });

  it('adds an argument row without saving when "Add argument" is pressed', async () => {
    const tip = await fx.tip();
    const base = await baseOf('/configs/demo/users/tools/new');
    const res = await post('/configs/demo/users/tools', { base, op: 'add-arg', name: 'x', method: 'GET', endpoint: 'http://x' }, { htmx: true });
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('id="arg-0-name"');
    expect(html).toContain('id="remove-arg-0"');
    expect(html).toContain('value="x"');
    expect(await fx.tip()).toBe(tip);
  });

  it('sets, refuses and clears a router auth block with the router form', async () => {
    const before = (await fx.file(USERS))!;
    const form = await (await get('/configs/demo/users/routers/1')).text();
    expect(form).toContain('<legend>Client authentication</legend>');
    expect(form).toContain('<option value="oauth2">OAuth 2.1 bearer tokens</option>');
    const rendered = formFields(form, 'router-form');
    expect(rendered.authMode).toBe('');
    const oauth = {
      ...rendered,
      authMode: 'oauth2',
      authIssuer: 'https://auth.example.com',
      authAudience: 'https://mcp.example.com/demo/users-behind-proxy/mcp',
      authScopes: 'users:read, users:admin',
    };

    // An issuer without an audience: the validator's message at the form, nothing committed.
    const tip = await fx.tip();
    const refused = await post('/configs/demo/users/routers/1', { ...oauth, authAudience: '' });
    const html = await refused.text();
    expect(refused.status).toBe(400);
    expect(html).toContain('id="issues"');
    expect(html).toContain('routers[1].auth.audience');
    expect(html).toContain('required with issuer');
    expect(html).toContain('value="https://auth.example.com"');
    expect(await fx.tip()).toBe(tip);

    const res = await post('/configs/demo/users/routers/1', oauth);
    expect(res.status).toBe(200);
    const withAuth = (await fx.file(USERS))!;
    expect(withAuth).toBe(
      before.replace(
        '    ssePrefix: /gateway\n',
        '    ssePrefix: /gateway\n    auth:\n      mode: oauth2\n      issuer: https://auth.example.com\n' +
          '      audience: https://mcp.example.com/demo/users-behind-proxy/mcp\n      requiredScopes: [users:read, users:admin]\n',
      ),
    );
    const overview = await (await get('/configs/demo/users')).text();
    expect(overview).toContain('OAuth 2.1 (issuer https://auth.example.com)');
    const again = formFields(await (await get('/configs/demo/users/routers/1')).text(), 'router-form');
    expect(again).toMatchObject({ authMode: 'oauth2', authAudience: 'https://mcp.example.com/demo/users-behind-proxy/mcp', authScopes: 'users:read users:admin' });

    const cleared = await post('/configs/demo/users/routers/1', { ...again, authMode: '' });
    expect(cleared.status).toBe(200);
    expect(await fx.file(USERS)).toBe(before);
  });

  it('answers 400 with the line number and keeps the text when the YAML does not parse', async () => {
    const { text, base } = await yamlOf('demo', 'users');
    const broken = text.replace('routers:\n', 'routers:\n  - [unclosed\n');
    const tip = await fx.tip();
    const res = await post('/configs/demo/users/yaml', { base, text: broken });
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(html).toMatch(/line \d+, column \d+/);
    expect(html).toContain('id="issues"');
    expect(html).toContain(Bun.escapeHTML('  - [unclosed\n'));
    expect(html).toContain(`name="base" value="${base}"`);
    expect(await fx.tip()).toBe(tip);
  });

  it('answers 400 inline when the schema rejects an unknown key', async () => {
    const { text, base } = await yamlOf('acme', 'weather');
    const tip = await fx.tip();
    const res = await post('/configs/acme/weather/yaml', { base, text: text.replace('routers:', 'bogusKey: 1\nrouters:') });
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(html).toContain('bogusKey');
    const line = text.split('\n').findIndex((l) => l === 'routers:') + 1;
    expect(html).toContain(`line ${line}, column 1`);
    expect(await fx.tip()).toBe(tip);
  });

  it('answers 400 inline when a prefix is already used by another document', async () => {
    const { text, base } = await yamlOf('demo', 'media');
    const prefix = /prefix: (\S+)/.exec(text)![1]!;
    const tip = await fx.tip();
    const res = await post('/configs/demo/media/yaml', { base, text: text.replace(`prefix: ${prefix}`, 'prefix: /demo/users') });
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(html).toContain('is also used by configs/demo/users.yaml:13');
    expect(html).toContain('configs/demo/users.yaml:13:13');
    expect(await fx.tip()).toBe(tip);
  });

  it('answers 409 with a reload link and commits nothing when the base is stale', async () => {
    const { text, base } = await yamlOf('acme', 'weather');
    const first = await post('/configs/acme/weather/yaml', { base, text: `${text}# first\n` });
    expect(first.status).toBe(200);
    const count = await fx.count();
    const res = await post('/configs/acme/weather/yaml', { base, text: `${text}# second\n` });
    const html = await res.text();
    expect(res.status).toBe(409);
    expect(html).toContain('was changed by admin');
    expect(html).toContain('id="reload-link" href="/configs/acme/weather/yaml"');
    expect(html).toContain('# second');
    expect(await fx.count()).toBe(count);
  });

  it('commits one of two concurrent saves with the same base and refuses the other', async () => {
    const { text, base } = await yamlOf('acme', 'upstreams');
    const count = await fx.count();
    const results = await Promise.all([
      post('/configs/acme/upstreams/yaml', { base, text: `${text}# one\n` }),
      post('/configs/acme/upstreams/yaml', { base, text: `${text}# two\n` }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await fx.count()).toBe(count + 1);
    expect((await git(fx.remote, ['rev-list', '--merges', 'main'])).trim()).toBe('');
  });

  it('reports per gateway whether it applied the new revision', async () => {
    const { text, base } = await yamlOf('acme', 'weather');
    fx.gateway.stuckAt = 'main@sha1:0000000000000000000000000000000000000000';
    try {
      const res = await post('/configs/acme/weather/yaml', { base, text: `${text}# stuck\n` });
      const html = await res.text();
      expect(res.status).toBe(200);
      expect(html).toContain('data-state="not-applied"');
      expect(html).toContain('x.yaml:1:1: boom');
      expect(html).toContain((await fx.tip()).slice(0, 7));
    } finally {
      fx.gateway.stuckAt = undefined;
    }
  });

  it('deletes a config after the confirmation page', async () => {
    const created = await post('/configs', { tenant: 'demo', name: 'doomed', prefix: '/demo/doomed', server: 'doomed' });
    expect(created.status).toBe(303);
    const confirm = await (await get('/configs/demo/doomed/delete')).text();
    expect(confirm).toContain('id="confirm-delete"');
    const base = /name="base" value="([0-9a-f]{40})"/.exec(confirm)![1]!;
    const res = await post('/configs/demo/doomed/delete', { base }, { csrf: 'field' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('id="back-to-configs"');
    expect(await fx.file('configs/demo/doomed.yaml')).toBeUndefined();
    const audit = await h.store.audit.list({ action: 'config.delete', limit: 1 });
    expect(audit[0]?.target).toBe('config:demo/doomed');
  });

  it('refuses a form post without the CSRF token with 403', async () => {
    const { text, base } = await yamlOf('acme', 'weather');
    const tip = await fx.tip();
    const res = await post('/configs/acme/weather/yaml', { base, text: `${text}# csrf\n` }, { csrf: 'none' });
    expect(res.status).toBe(403);
    expect(await fx.tip()).toBe(tip);
  });

  it('escapes a script in a tool description on every config page', async () => {
    const { text, base } = await yamlOf('demo', 'users');
    const evil = text.replace('description: Fetch one user by id, as JSON.', 'description: "<script>alert(1)</script>"');
    expect((await post('/configs/demo/users/yaml', { base, text: evil })).status).toBe(200);
    for (const path of ['/configs/demo/users', '/configs/demo/users/tools/get_user', '/configs/demo/users/yaml']) {
      const html = await (await get(path)).text();
      expect(html).not.toContain('<script>alert');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
  });

  it('answers a fragment to an htmx partial request and a full page otherwise', async () => {
    const fragment = await (await get('/configs/demo/users', { htmx: true })).text();
    expect(fragment.startsWith('<section id="config-overview"')).toBe(true);
    expect(fragment).not.toContain('<html');
    const full = await (await get('/configs/demo/users')).text();
    expect(full.startsWith('<!doctype html>')).toBe(true);
    expect(full).toContain('id="config-overview"');
  });
});

describe('config pages without a config repo', () => {
  it('says how to configure one when no config repo is set', async () => {
    const bare = await harness();
    try {
      const res = await bare.request('GET', '/configs', { as: bare.admin });
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('ADMIN_CONFIG_REPO');
    } finally {
      await bare.close();
    }
  });
});
