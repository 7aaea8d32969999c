import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { importOpenApi } from '../../openapi/import.ts';
import { type Harness, ORIGIN } from '../../test-support.ts';
import { type ConfigStack, configStack, send, type SendOptions, stackHarness } from '../console/test-stack.ts';
import { MAX_IMPORT_BYTES } from './service.ts';

const FIXTURE = resolve(import.meta.dir, '../../../test/fixtures/openapi/demo-users.openapi.yaml');
const spec = await readFile(FIXTURE, 'utf8');

let fx: ConfigStack;
let h: Harness;

const req = (method: string, path: string, opts: SendOptions = {}) => send(h.app, ORIGIN, method, path, { as: h.admin, ...opts });
const fields = (over: Record<string, string> = {}) => ({ tenant: 'demo', name: 'directory', prefix: '', baseUrl: '', spec, ...over });
const tools = (html: string): string[] => [...html.matchAll(/data-testid="import-tool" data-tool="([^"]+)"/g)].map((m) => m[1]!);
const yamlOf = (html: string): string => {
  const m = /<textarea name="yaml"[^>]*>\n?([\s\S]*?)<\/textarea>/.exec(html);
  if (!m) throw new Error('no yaml textarea');
  return unescape(m[1]!);
};

const ENTITIES: Record<string, string> = { quot: '"', apos: "'", lt: '<', gt: '>', amp: '&' };
/** What a browser submits for a textarea's escaped content. */
const unescape = (s: string): string =>
  s.replace(/&(#x[0-9a-f]+|#[0-9]+|quot|apos|lt|gt|amp);/gi, (_, e: string) =>
    e[0] !== '#' ? ENTITIES[e.toLowerCase()]! : String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );

beforeAll(async () => {
  fx = await configStack();
  h = await stackHarness(fx);
});

afterAll(async () => {
  await h?.close();
  await fx?.close();
});

describe('OpenAPI import', () => {
  it('shows the form with a file input and a textarea when asked for /import', async () => {
    const res = await req('GET', '/import');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('enctype="multipart/form-data"');
    expect(html).toContain('hx-post="/import/preview"');
    expect(html).toContain('name="file"');
    expect(html).toContain('name="spec"');
    expect(html).toContain('<option value="demo"></option>');
  });

  it('lists the generated tools when previewing the demo-users document pasted into the form', async () => {
    const res = await req('POST', '/import/preview', { form: fields(), htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<html');
    const expected = importOpenApi(spec, { tenant: 'demo', name: 'directory', prefix: '/demo/directory' });
    expect(tools(html)).toEqual((expected.doc.tools ?? []).map((t) => t.name));
    expect(tools(html)).toContain('list_users');
    expect(yamlOf(html)).toBe(expected.yaml);
    expect(html).toContain('id="import-commit-form"');
    expect(html).not.toContain('id="import-issues"');
  });

  it('previews an uploaded file when the form is posted as multipart without htmx', async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields({ spec: '' }))) form.set(k, v);
    form.set('file', new File([spec], 'demo-users.openapi.yaml', { type: 'application/yaml' }));
    const res = await req('POST', '/import/preview', { form, csrf: 'field' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html');
    expect(html).toContain('id="import-form"');
    expect(tools(html)).toContain('list_users');
    // The form comes back filled in, with the default prefix it used.
    expect(html).toContain('value="/demo/directory"');
  });

  it("shows the gateway validator's issues in the preview when the prefix is taken", async () => {
    const res = await req('POST', '/import/preview', { form: fields({ prefix: '/demo/users' }), htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="import-issues"');
    expect(html).toContain('/demo/users');
  });

  it('creates configs/<tenant>/<name>.yaml on the remote when committing the reviewed YAML', async () => {
    const yaml = yamlOf(await (await req('POST', '/import/preview', { form: fields(), htmx: true })).text());
    const before = await fx.count();
    const res = await req('POST', '/import/commit', { form: { tenant: 'demo', name: 'directory', yaml }, htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(await fx.count()).toBe(before + 1);
    expect(await fx.file('configs/demo/directory.yaml')).toBe(yaml);
    expect(html).toContain('id="save-result"');
    expect(html).toContain('id="import-config-link"');
    expect(html).toContain('href="/configs/demo/directory"');
    expect(html).toMatch(/data-testid="gateway-result" data-state="applied"/);
    const head = (await fx.repo.log({ limit: 1 }))[0]!;
    expect(head.message).toBe('Import configs/demo/directory.yaml from OpenAPI');
    const audit = await h.call('GET', '/api/audit?action=config.import', { as: h.admin });
    expect(JSON.stringify(audit.body)).toContain('config:demo/directory');
  });

  it('answers 409 and keeps the YAML when importing over an existing config', async () => {
    const preview = await (await req('POST', '/import/preview', { form: fields({ name: 'users', prefix: '/demo/users-copy' }), htmx: true })).text();
    expect(preview).toContain('id="import-exists"');
    const yaml = yamlOf(preview);
    const before = await fx.count();
    const res = await req('POST', '/import/commit', { form: { tenant: 'demo', name: 'users', yaml }, htmx: true });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toContain('config demo/users already exists');
    expect(yamlOf(html)).toBe(yaml);
    expect(await fx.count()).toBe(before);
  });

  it('answers 400 with the validator issues when the reviewed YAML does not validate', async () => {
    const before = await fx.count();
    const res = await req('POST', '/import/commit', { form: { tenant: 'demo', name: 'broken', yaml: 'name: broken\ntenant: demo\nrouters: 42\n' } });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('<html');
    expect(html).toContain('class="issues"');
    expect(html).toContain('routers: 42');
    expect(await fx.count()).toBe(before);
  });

  it("answers 400 with the importer's message when the document is malformed", async () => {
    let message = '';
    try {
      importOpenApi('openapi: 3.0.3\npaths: [', { tenant: 'demo', name: 'x', prefix: '/demo/x' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toBe('');
    const res = await req('POST', '/import/preview', { form: fields({ name: 'x', spec: 'openapi: 3.0.3\npaths: [' }), htmx: true });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain(`cannot import this document: ${Bun.escapeHTML(message)}`);
    const notOpenApi = await req('POST', '/import/preview', { form: fields({ spec: 'hello: world\n' }), htmx: true });
    expect(notOpenApi.status).toBe(400);
    expect(await notOpenApi.text()).toContain('not an OpenAPI document');
    const empty = await req('POST', '/import/preview', { form: fields({ spec: '' }), htmx: true });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('paste the OpenAPI document or choose a file');
  });

  it('escapes a <script> in an operation summary when previewing', async () => {
    const evil = spec.replace('summary: Search users by name or email.', 'summary: "<script>alert(1)</script> Search users"');
    expect(evil).not.toBe(spec);
    const res = await req('POST', '/import/preview', { form: fields({ spec: evil }), htmx: true });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('answers 413 when the uploaded document is larger than the limit', async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields({ spec: '' }))) form.set(k, v);
    form.set('file', new File([new Uint8Array(MAX_IMPORT_BYTES + 1).fill(0x20)], 'huge.yaml'));
    const res = await req('POST', '/import/preview', { form, htmx: true });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain('the limit is');
  });

  it('answers 404 when a member imports into a tenant they cannot see', async () => {
    const acme = await h.tenant('acme', '/acme');
    const bob = await h.member('bob', [acme.id]);
    const res = await req('POST', '/import/preview', { as: bob, form: fields(), htmx: true });
    expect(res.status).toBe(404);
    const commit = await req('POST', '/import/commit', { as: bob, form: { tenant: 'demo', name: 'sneaky', yaml: 'name: sneaky\n' } });
    expect(commit.status).toBe(404);
    expect(await fx.file('configs/demo/sneaky.yaml')).toBeUndefined();
  });

  it('refuses with 403 when the CSRF token is missing', async () => {
    const before = await fx.count();
    expect((await req('POST', '/import/preview', { form: fields(), csrf: 'none' })).status).toBe(403);
    const res = await req('POST', '/import/commit', { form: { tenant: 'demo', name: 'nocsrf', yaml: 'name: nocsrf\n' }, csrf: 'none' });
    expect(res.status).toBe(403);
    expect(await fx.count()).toBe(before);
  });
});
