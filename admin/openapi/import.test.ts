import { afterAll, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startDemoBackend } from '../../demo/backend.ts';
import { formatIssue } from '../../gateway/config/issues.ts';
import { parseConfigText } from '../../gateway/config/load.ts';
import type { Arg, McpConfig, Tool } from '../../gateway/config/schema.ts';
import { loadSettings } from '../../gateway/config/settings.ts';
import { checkConfigs } from '../../gateway/config/validate.ts';
import { startGateway } from '../../gateway/gateway.ts';
import { createLogger } from '../../gateway/obs/log.ts';
import { compile } from '../../gateway/template/index.ts';
import { compileArgs, prepareArgs } from '../../gateway/tools/args.ts';
import { ImportError, importOpenApi, type ImportOptions, type ImportResult } from './import.ts';

const FIXTURES = join(import.meta.dir, '..', '..', 'test', 'fixtures', 'openapi');
const fixture = (name: string) => Bun.file(join(FIXTURES, name)).text();
const OPTS: ImportOptions = { tenant: 'acme', name: 'petstore', prefix: '/acme/petstore' };

/** Validates a generated document as the gateway would load it from `configs/<tenant>/<name>.yaml`. */
function validate(result: ImportResult, opts: ImportOptions = OPTS): { errors: string[]; warnings: string[]; env: string[] } {
  const file = `configs/${opts.tenant}/${opts.name}.yaml`;
  const parsed = parseConfigText(file, result.yaml);
  const parseErrors = parsed.issues.filter((i) => i.severity === 'error').map(formatIssue);
  if (!parsed.doc) return { errors: parseErrors, warnings: [], env: [] };
  const checked = checkConfigs([{ file, doc: parsed.doc, text: result.yaml, source: parsed.source }]);
  const issues = [...parsed.issues, ...checked.issues];
  return {
    errors: issues.filter((i) => i.severity === 'error').map(formatIssue),
    warnings: issues.filter((i) => i.severity === 'warning').map(formatIssue),
    env: checked.envNames.get(file) ?? [],
  };
}

const toolOf = (result: ImportResult, name: string): Tool => {
  const tool = result.doc.tools?.find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name} in ${result.doc.tools?.map((t) => t.name).join(', ')}`);
  return tool;
};
/** name → position/type/required, the shape tests compare. */
const argShape = (tool: Tool) =>
  (tool.args ?? []).map((a) => [a.name, a.position, a.type ?? '-', a.required === true ? 'required' : 'optional']);

const expectImportError = (fn: () => unknown, pattern: RegExp) => {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ImportError);
  expect((caught as Error).message).toMatch(pattern);
};

// ---------------------------------------------------------------------------------------------------
// Random argument values (seeded), for rendering body templates

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = ['"', '\\', '\n', '\t', '\u0000', '\u2028', '{{', '}}', '</script>', '&', '=', '+', '%', ' ', 'é', '😀', ',', '}', ']', "'", '\ud800'];

function randomString(rnd: () => number): string {
  let s = '';
  const n = Math.floor(rnd() * 8);
  for (let i = 0; i < n; i++) s += rnd() < 0.5 ? NASTY[Math.floor(rnd() * NASTY.length)] : String.fromCharCode(97 + Math.floor(rnd() * 26));
  return s;
}

function randomJson(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * (depth > 2 ? 5 : 7));
  switch (pick) {
    case 0:
      return randomString(rnd);
    case 1:
      return Math.floor(rnd() * 2000) - 1000;
    case 2:
      return rnd() * 1e6 - 5e5;
    case 3:
      return rnd() < 0.5;
    case 4:
      return null;
    case 5:
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomJson(rnd, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rnd() * 4); i > 0; i--) o[randomString(rnd) || 'k'] = randomJson(rnd, depth + 1);
      return o;
    }
  }
}

function randomValue(rnd: () => number, arg: Arg): unknown {
  if (arg.enum && arg.enum.length > 0) return arg.enum[Math.floor(rnd() * arg.enum.length)];
  switch (arg.type) {
    case 'string':
      return randomString(rnd);
    case 'integer':
      return Math.floor(rnd() * 2e6) - 1e6;
    case 'number':
      return rnd() < 0.3 ? 0 : rnd() * 1e4 - 5e3;
    case 'boolean':
      return rnd() < 0.5;
    case 'array':
      return Array.from({ length: Math.floor(rnd() * 4) }, () => randomValue(rnd, { name: 'item', position: 'body', ...arg.items } as Arg));
    case 'object': {
      const o = randomJson(rnd, 2);
      return typeof o === 'object' && o !== null && !Array.isArray(o) ? o : { nested: o };
    }
    default:
      return randomJson(rnd);
  }
}

/** Arguments for one call: required ones always, optional ones sometimes (sometimes as null, which counts as absent). */
function randomArgs(rnd: () => number, args: readonly Arg[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arg of args) {
    const roll = rnd();
    if (arg.required || roll < 0.5) out[arg.name] = randomValue(rnd, arg);
    else if (roll < 0.6) out[arg.name] = null;
  }
  return out;
}

/** The JSON key a body argument fills: its own name, or the name before the importer's clash prefix. */
function bodyKeyOf(argName: string, template: string): string {
  const m = new RegExp(`"((?:[^"\\\\]|\\\\.)*)": \\{\\{ toJSON \\.Args\\.${argName} \\}\\}`).exec(template);
  if (!m) throw new Error(`argument ${argName} is not in the template`);
  return JSON.parse(`"${m[1]}"`) as string;
}

/** Renders a tool's requestBody as the gateway does (args prepared: defaults filled, types coerced). */
function renderBody(tool: Tool, input: Record<string, unknown>): { text: string; args: Record<string, unknown> } {
  const prepared = prepareArgs(tool.name, compileArgs(tool.name, tool.args), input);
  if (!prepared.ok) throw new Error(prepared.message);
  return { text: compile(tool.requestBody!).render({ Args: prepared.args, Config: { base: 'http://x' } }), args: prepared.args };
}

// ---------------------------------------------------------------------------------------------------

const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

describe('importOpenApi', () => {
  const FIXTURE_CASES: [string, ImportOptions][] = [
    ['petstore.openapi.yaml', OPTS],
    ['bookshop.swagger.json', { tenant: 'acme', name: 'bookshop', prefix: '/acme/bookshop' }],
    ['tasks-3.1.openapi.yaml', { tenant: 'acme', name: 'tasks', prefix: '/acme/tasks', serverName: 'tasks-api' }],
    ['demo-users.openapi.yaml', { tenant: 'demo', name: 'users-imported', prefix: '/demo/users-imported' }],
  ];

  for (const [file, opts] of FIXTURE_CASES) {
    it(`generates a config the gateway validator accepts with no issue when importing ${file}`, async () => {
      const result = importOpenApi(await fixture(file), opts);
      expect(result.tools).toBeGreaterThan(3);
      expect(validate(result, opts)).toEqual({ errors: [], warnings: [], env: expect.any(Array) });
      expect(result.doc.name).toBe(opts.name);
      expect(result.doc.tenant).toBe(opts.tenant);
      expect(result.doc.routers).toEqual([{ server: opts.serverName ?? opts.name, prefix: opts.prefix }]);
      expect(result.doc.servers?.[0]?.allowedTools).toEqual(result.doc.tools!.map((t) => t.name));
    });
  }

  it('describes the demo backend users API with typed args in each position when importing demo-users', async () => {
    const result = importOpenApi(await fixture('demo-users.openapi.yaml'), { tenant: 'demo', name: 'users-imported', prefix: '/demo/users-imported' });
    expect(result.warnings).toEqual([
      'the backend http://127.0.0.1:5236 is on a private or loopback address: the gateway refuses it unless security.allowedNetworks (GATEWAY_ALLOWED_NETWORKS) lists 127.0.0.1',
    ]);
    expect(result.doc.servers?.[0]?.config).toEqual({ base: 'http://127.0.0.1:5236' });
    expect(result.doc.tools!.map((t) => `${t.method} ${t.name} ${t.endpoint}`)).toEqual([
      'GET health {{ .Config.base }}/health',
      'GET list_users {{ .Config.base }}/users',
      'POST create_user {{ .Config.base }}/users',
      'GET get_user {{ .Config.base }}/users/{{ .Args.id }}',
      'PUT update_user {{ .Config.base }}/users/{{ .Args.id }}',
      'DELETE delete_user {{ .Config.base }}/users/{{ .Args.id }}',
    ]);
    expect(argShape(toolOf(result, 'list_users'))).toEqual([
      ['q', 'query', 'string', 'optional'],
      ['role', 'query', 'string', 'optional'],
      ['limit', 'query', 'integer', 'optional'],
    ]);
    expect(toolOf(result, 'list_users').args?.[1]?.enum).toEqual(['admin', 'user']);
    expect(toolOf(result, 'list_users').args?.[2]?.default).toBe(20);
    const create = toolOf(result, 'create_user');
    expect(argShape(create)).toEqual([
      ['name', 'body', 'string', 'required'],
      ['email', 'body', 'string', 'required'],
      ['role', 'body', 'string', 'optional'],
      ['tags', 'body', 'array', 'optional'],
      ['preferences', 'body', 'object', 'optional'],
    ]);
    expect(create.args?.[2]).toMatchObject({ enum: ['admin', 'user'], default: 'user' });
    expect(create.args?.[3]?.items).toEqual({ type: 'string' });
    expect(create.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(argShape(toolOf(result, 'delete_user'))).toEqual([['id', 'path', 'string', 'required']]);
    expect(toolOf(result, 'delete_user').annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
  });

  it('maps refs, params, bodies and security when importing the OpenAPI 3.0 petstore', async () => {
    const result = importOpenApi(await fixture('petstore.openapi.yaml'), OPTS);
    // Server variables take their defaults; the second server is only mentioned.
    expect(result.doc.servers?.[0]?.config?.base).toBe('https://eu.petstore.example.com/v2');
    expect(result.warnings).toContain('the document lists 2 servers; using the first, https://eu.petstore.example.com/v2 (give baseUrl to choose another)');
    expect(result.doc.tools!.map((t) => t.name)).toEqual([
      'listPets',
      'addPet',
      'getPetById',
      'updatePet',
      'delete_pets_petId',
      'uploadPhoto',
      'updatePetWithForm',
      'placeOrder',
      'post_store_orders_orderId_notes',
      'getInventory',
    ]);

    const list = toolOf(result, 'listPets');
    // The Accept header parameter is ignored (OpenAPI: Accept, Content-Type and Authorization parameters are).
    expect(argShape(list)).toEqual([
      ['limit', 'query', 'integer', 'optional'],
      ['status', 'query', 'array', 'optional'],
      ['tags', 'query', 'array', 'optional'],
      ['X-Request-Id', 'header', 'string', 'optional'],
    ]);
    expect(list.args?.[0]?.default).toBe(20);
    expect(list.args?.[1]?.items).toEqual({ type: 'string', description: 'Where the pet is in the shop.', enum: ['available', 'pending', 'sold'] });
    expect(result.warnings).toContain(
      'GET /pets: query parameter "tags" is sent as repeated parameters (tags=a&tags=b), not in the "form, explode: false" style the document gives',
    );

    // requestBody $ref → NewPet; readOnly properties (category.id) are not sent; a nested object keeps its schema.
    const add = toolOf(result, 'addPet');
    expect(add.args?.map((a) => a.name)).toEqual(['name', 'status', 'category', 'photoUrls', 'tags', 'birthday', 'weightKg', 'vaccinated', 'attributes']);
    expect(add.args?.find((a) => a.name === 'tags')?.items).toMatchObject({ type: 'object', properties: { name: { type: 'string' } } });
    expect(add.inputSchema?.category).toEqual({ type: 'object', properties: { name: { type: 'string' }, parent: { type: 'object' } }, required: ['name'] });
    expect(add.args?.find((a) => a.name === 'vaccinated')).toMatchObject({ type: 'boolean', default: false });
    expect(result.warnings).toContain('schema "#/components/schemas/Category" contains itself; its nested levels are left open');

    // Path-level petId + operation query id + allOf body with its own id: the body's id gives way.
    const update = toolOf(result, 'updatePet');
    expect(update.endpoint).toBe('{{ .Config.base }}/pets/{{ .Args.petId }}');
    expect(argShape(update).filter(([, position]) => position !== 'body')).toEqual([
      ['petId', 'path', 'integer', 'required'],
      ['id', 'query', 'string', 'optional'],
    ]);
    expect(update.args?.find((a) => a.name === 'body_id')).toMatchObject({ position: 'body', type: 'integer', required: true });
    expect(update.requestBody).toContain('"id": {{ toJSON .Args.body_id }}');

    // Security: the operation's `security: []` means none; otherwise credentials come from env variables.
    expect(toolOf(result, 'delete_pets_petId').headers).toBeUndefined();
    expect(toolOf(result, 'getPetById').headers).toEqual({ 'X-API-Key': '{{ .Config.api_key }}' });
    expect(toolOf(result, 'getInventory').headers).toEqual({ Authorization: '{{ with .Config.basicAuth }}Basic {{ b64enc . }}{{ end }}' });
    expect(toolOf(result, 'placeOrder').endpoint).toBe('{{ .Config.base }}/store/orders?{{ with .Config.shop_session }}&session={{ urlquery . }}{{ end }}');
    expect(result.doc.servers?.[0]?.config).toEqual({
      base: 'https://eu.petstore.example.com/v2',
      api_key: '{{ env "PETSTORE_API_KEY" }}',
      shop_session: '{{ env "PETSTORE_SHOP_SESSION" }}',
      basicAuth: '{{ env "PETSTORE_BASIC_AUTH" }}',
    });
    expect(validate(result).env).toEqual(['PETSTORE_API_KEY', 'PETSTORE_BASIC_AUTH', 'PETSTORE_SHOP_SESSION']);
    for (const name of ['PETSTORE_API_KEY', 'PETSTORE_BASIC_AUTH', 'PETSTORE_SHOP_SESSION']) {
      expect(result.warnings.some((w) => w.includes(`add ${name} to the gateway's env allowlist`))).toBe(true);
    }

    // Forms: multipart → form-data args (the file degrades to text); urlencoded → a body template.
    expect(argShape(toolOf(result, 'uploadPhoto'))).toEqual([
      ['petId', 'path', 'integer', 'required'],
      ['caption', 'form-data', 'string', 'optional'],
      ['file', 'form-data', 'string', 'required'],
    ]);
    expect(result.warnings).toContain('POST /pets/{petId}/photos: form field "file" is a file; HTTP tools send it as a text field');
    const form = toolOf(result, 'updatePetWithForm');
    expect(form.headers?.['Content-Type']).toBe('application/x-www-form-urlencoded');
    expect(argShape(form).slice(1)).toEqual([
      ['name', 'body', 'string', 'optional'],
      ['status', 'body', 'string', 'optional'],
      ['nicknames', 'body', 'array', 'optional'],
    ]);

    // A non-object JSON body is one argument; cookie parameters and binary bodies are warned about.
    expect(argShape(toolOf(result, 'post_store_orders_orderId_notes'))).toEqual([
      ['orderId', 'path', 'integer', 'required'],
      ['body', 'body', 'array', 'required'],
    ]);
    expect(result.warnings).toContain('POST /store/orders/{orderId}/notes: cookie parameter "session" cannot be sent by HTTP tools; left out');
    expect(result.warnings).toContain(
      'PUT /pets/{petId}/photos: request body of type image/png cannot be sent (only JSON, form and text bodies can); skipped',
    );
  });

  it('reads host, basePath, body and formData parameters when importing Swagger 2.0 JSON', async () => {
    const opts = { tenant: 'acme', name: 'bookshop', prefix: '/acme/bookshop' };
    const result = importOpenApi(await fixture('bookshop.swagger.json'), opts);
    expect(result.doc.servers?.[0]?.config?.base).toBe('https://api.bookshop.example.com/v1');
    expect(result.doc.tools!.map((t) => t.name)).toEqual(['books_list', 'books_create', 'books_get', 'books_rate', 'books_uploadCover', 'reviews_add', 'authors_export']);
    expect(argShape(toolOf(result, 'books_list'))).toEqual([
      ['page', 'query', 'integer', 'optional'],
      ['genre', 'query', 'array', 'optional'],
      ['authors', 'query', 'array', 'optional'],
      ['X-Trace', 'header', 'string', 'optional'],
    ]);
    // collectionFormat multi is what the gateway sends; csv (the 2.0 default) is warned about.
    expect(result.warnings.filter((w) => w.includes('repeated parameters'))).toEqual([
      'GET /books: query parameter "authors" is sent as repeated parameters (authors=a&authors=b), not in the "csv" style the document gives',
    ]);
    const create = toolOf(result, 'books_create');
    expect(argShape(create)).toEqual([
      ['isbn', 'body', 'string', 'required'],
      ['title', 'body', 'string', 'required'],
      ['authors', 'body', 'array', 'required'],
      ['price', 'body', 'number', 'optional'],
      ['format', 'body', 'string', 'optional'],
      ['metadata', 'body', 'object', 'optional'],
    ]);
    expect(create.headers).toEqual({ 'Content-Type': 'application/json', Authorization: '{{ with .Config.oauth }}Bearer {{ . }}{{ end }}' });
    // A path parameter named book-id becomes the template identifier book_id; the query book-id keeps its wire name.
    const reviews = toolOf(result, 'reviews_add');
    expect(reviews.endpoint).toBe('{{ .Config.base }}/books/{{ .Args.book_id }}/reviews?{{ with .Config.apiKey }}&key={{ urlquery . }}{{ end }}');
    expect(argShape(reviews)).toEqual([
      ['book_id', 'path', 'string', 'required'],
      ['book-id', 'query', 'string', 'optional'],
      ['stars', 'body', 'integer', 'required'],
      ['text', 'body', 'string', 'optional'],
    ]);
    expect(argShape(toolOf(result, 'books_rate'))).toEqual([
      ['book_id', 'path', 'string', 'required'],
      ['rating', 'body', 'integer', 'required'],
    ]);
    expect(argShape(toolOf(result, 'books_uploadCover')).map(([n, p]) => `${n}:${p}`)).toEqual(['book_id:path', 'image:form-data', 'credit:form-data']);
    expect(result.warnings).toContain(
      'POST /authors/{authorId}/export: request body of type application/xml cannot be sent (only JSON, form and text bodies can); skipped',
    );
    expect(validate(result, opts).env).toEqual(['BOOKSHOP_API_KEY', 'BOOKSHOP_BASIC', 'BOOKSHOP_OAUTH']);
  });

  it('handles type arrays, const, $defs, pathItem refs and duplicate operationIds when importing OpenAPI 3.1', async () => {
    const opts = { tenant: 'acme', name: 'tasks', prefix: '/acme/tasks' };
    const result = importOpenApi(await fixture('tasks-3.1.openapi.yaml'), opts);
    expect(result.doc.tools!.map((t) => t.name)).toEqual(['tasks_search', 'tasks_create', 'tasks_get', 'tasks_update', 'tasks_setNote', 'tasks_search_2']);
    expect(result.warnings).toContain('GET /legacy/tasks: tool name tasks_search is taken by an earlier operation; this one is tasks_search_2');
    expect(toolOf(result, 'tasks_search_2').description).toBe('Deprecated. Search tasks (old path).');
    const create = toolOf(result, 'tasks_create');
    expect(create.args?.find((a) => a.name === 'kind')).toEqual({ name: 'kind', position: 'body', required: true, type: 'string', enum: ['task'], default: 'task' });
    expect(create.args?.find((a) => a.name === 'due')).toMatchObject({ type: 'string' });
    expect(create.args?.find((a) => a.name === 'priority')).toMatchObject({ type: 'integer', enum: [1, 2, 3] });
    expect(create.args?.some((a) => a.name === 'id')).toBe(false);
    expect(create.inputSchema?.assignee).toMatchObject({ oneOf: [{ type: 'string' }, { type: 'object' }] });
    const update = toolOf(result, 'tasks_update');
    expect(update.headers?.['Content-Type']).toBe('application/merge-patch+json');
    // A $ref sibling (3.1) overrides the target's description.
    expect(update.args?.find((a) => a.name === 'priority')?.description).toBe('New priority.');
    const note = toolOf(result, 'tasks_setNote');
    expect(note.requestBody).toBe('{{ if hasKey .Args "body" }}{{ .Args.body }}{{ end }}');
    expect(toolOf(result, 'tasks_search').args?.map((a) => a.name)).toEqual(['filter', 'page[size]']);
    expect(result.warnings).toContain('webhooks are not imported (they are calls from the API, not to it)');
  });

  it('renders every JSON body template to valid JSON holding exactly the given fields when args are random', async () => {
    const rnd = mulberry32(20250115);
    let rendered = 0;
    for (const [file, opts] of FIXTURE_CASES) {
      const result = importOpenApi(await fixture(file), opts);
      for (const tool of result.doc.tools!) {
        if (tool.requestBody === undefined || !String(tool.headers?.['Content-Type'] ?? '').includes('json')) continue;
        const bodyArgs = (tool.args ?? []).filter((a) => a.position === 'body');
        for (let i = 0; i < 150; i++) {
          const { text, args } = renderBody(tool, randomArgs(rnd, tool.args ?? []));
          rendered++;
          const present = bodyArgs.filter((a) => args[a.name] !== undefined);
          if (bodyArgs.length === 1 && !tool.requestBody.includes('": {{')) {
            // The whole body is one argument; absent, nothing is sent (and no Content-Type).
            if (present.length === 0) expect(text).toBe('');
            else expect(JSON.parse(text)).toEqual(args[bodyArgs[0]!.name]);
            continue;
          }
          const parsed = JSON.parse(text) as Record<string, unknown>;
          const expected = Object.fromEntries(present.map((a) => [bodyKeyOf(a.name, tool.requestBody!), args[a.name]]));
          expect(parsed).toEqual(expected);
        }
      }
    }
    expect(rendered).toBeGreaterThanOrEqual(1500);
  });

  it('renders urlencoded form bodies that decode to the given fields when args are random', async () => {
    const result = importOpenApi(await fixture('petstore.openapi.yaml'), OPTS);
    const tool = toolOf(result, 'updatePetWithForm');
    const rnd = mulberry32(7);
    for (let i = 0; i < 200; i++) {
      const { text, args } = renderBody(tool, randomArgs(rnd, tool.args!));
      const form = new URLSearchParams(text);
      expect(form.get('name')).toBe(args.name === undefined ? null : (args.name as string).toWellFormed());
      expect(form.get('status')).toBe((args.status as string | undefined) ?? null);
      expect(form.getAll('nicknames')).toEqual(((args.nicknames as string[] | undefined) ?? []).map((s) => s.toWellFormed()));
      expect(text.startsWith('&') || text.endsWith('&')).toBe(false);
    }
  });

  it('gives the same YAML text when the same document is imported twice', async () => {
    const text = await fixture('petstore.openapi.yaml');
    expect(importOpenApi(text, OPTS).yaml).toBe(importOpenApi(text, OPTS).yaml);
  });

  it('starts the YAML with the schema modeline and names the source API when generating', async () => {
    const { yaml } = importOpenApi(await fixture('petstore.openapi.yaml'), OPTS);
    const lines = yaml.split('\n');
    expect(lines[0]).toBe('# yaml-language-server: $schema=../../schema/mcp-config.schema.json');
    expect(yaml).toContain('# Generated from the OpenAPI 3.0.3 description of "Petstore", version 2.1.0.');
    expect(yaml).not.toContain('&a1'); // no YAML anchors: the loader caps aliases and reviewers read plain text
  });

  it('uses baseUrl instead of the document servers when it is given', async () => {
    const result = importOpenApi(await fixture('petstore.openapi.yaml'), { ...OPTS, baseUrl: 'http://127.0.0.1:8080/api/' });
    expect(result.doc.servers?.[0]?.config?.base).toBe('http://127.0.0.1:8080/api');
    expect(result.warnings.some((w) => w.includes('servers'))).toBe(false);
    expect(result.warnings).toContain(
      'the backend http://127.0.0.1:8080/api is on a private or loopback address: the gateway refuses it unless security.allowedNetworks (GATEWAY_ALLOWED_NETWORKS) lists 127.0.0.1',
    );
  });

  it('renames path and body args on a clash and keeps wire names when a query, path and body share a name', () => {
    const spec = {
      openapi: '3.0.0',
      info: { title: 'clash', version: '1' },
      servers: [{ url: 'https://x.example.com' }],
      paths: {
        '/items/{id}': {
          post: {
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
              { name: 'id', in: 'query', schema: { type: 'string' } },
              { name: 'id', in: 'header', schema: { type: 'string' } },
            ],
            requestBody: {
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { id: { type: 'integer' }, 'first-name': { type: 'string' }, first_name: { type: 'string' } } },
                },
              },
            },
          },
        },
      },
    };
    const result = importOpenApi(JSON.stringify(spec), OPTS);
    const tool = result.doc.tools![0]!;
    expect(tool.name).toBe('post_items_id');
    expect(tool.endpoint).toBe('{{ .Config.base }}/items/{{ .Args.path_id }}');
    expect(argShape(tool)).toEqual([
      ['path_id', 'path', 'string', 'required'],
      ['id', 'query', 'string', 'optional'],
      ['body_id', 'body', 'integer', 'optional'],
      ['first_name', 'body', 'string', 'optional'],
      ['body_first_name', 'body', 'string', 'optional'],
    ]);
    expect(tool.requestBody).toContain('"first-name": {{ toJSON .Args.first_name }}');
    expect(tool.requestBody).toContain('"first_name": {{ toJSON .Args.body_first_name }}');
    expect(result.warnings).toContain(
      'POST /items/{id}: header parameter "id" has the name of another argument, and header arguments are sent under their own name; left out',
    );
    expect(validate(result).errors).toEqual([]);
  });

  it('escapes "{{" in literal text when a path or property name contains it', () => {
    const spec = {
      swagger: '2.0',
      info: { title: 't', version: '1' },
      host: 'x.example.com',
      paths: {
        '/a{{b/{id}': {
          post: {
            parameters: [
              { name: 'id', in: 'path', required: true, type: 'string' },
              { name: 'b', in: 'body', schema: { type: 'object', required: ['{{ .Config.base }}'], properties: { '{{ .Config.base }}': { type: 'string' } } } },
            ],
          },
        },
      },
    };
    const result = importOpenApi(JSON.stringify(spec), OPTS);
    const tool = result.doc.tools![0]!;
    expect(validate(result).errors).toEqual([]);
    expect(compile(tool.endpoint).render({ Args: { id: '7' }, Config: { base: 'https://x.example.com' } })).toBe('https://x.example.com/a{{b/7');
    const bodyArg = tool.args!.find((a) => a.position === 'body')!;
    expect(bodyArg.name).toBe('_Config_base_');
    const { text } = renderBody(tool, { id: '7', [bodyArg.name]: 'v' });
    expect(JSON.parse(text)).toEqual({ '{{ .Config.base }}': 'v' });
  });

  it('warns about an unsupported security scheme and a missing path parameter when the document has them', () => {
    const spec = `
openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "https://x.example.com"}]
components:
  securitySchemes:
    mtls: {type: mutualTLS}
paths:
  /things/{thingId}:
    get:
      operationId: get thing!
      security: [{mtls: []}]
`;
    const result = importOpenApi(spec, OPTS);
    expect(result.doc.tools![0]!.name).toBe('get_thing');
    expect(argShape(result.doc.tools![0]!)).toEqual([['thingId', 'path', 'string', 'required']]);
    expect(result.warnings).toEqual([
      'GET /things/{thingId}: path variable {thingId} has no parameter; it becomes a required string argument',
      'security scheme "mtls": type "mutualTLS" is not supported; calls go without it',
      'GET /things/{thingId}: none of its security requirements can be met by the gateway; calls go without credentials',
    ]);
  });

  it('leaves out a parameter that carries a credential when a security scheme sends the same header', () => {
    const spec = `
openapi: 3.0.0
info: {title: t, version: "1"}
servers: [{url: "https://x.example.com"}]
security: [{key: []}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Api-Key}
paths:
  /a:
    get:
      operationId: a
      parameters:
        - {name: x-api-key, in: header, required: true, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer}}
`;
    const result = importOpenApi(spec, OPTS);
    const tool = result.doc.tools![0]!;
    expect(argShape(tool)).toEqual([['page', 'query', 'integer', 'optional']]);
    expect(tool.headers).toEqual({ 'X-Api-Key': '{{ .Config.key }}' });
    expect(result.warnings).toContain(
      'GET /a: header parameter "x-api-key" carries the credential of a security scheme; left out (the value comes from the environment)',
    );
  });

  it('drops a default or enum value when it is nested deeper than a literal should be', () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const text = `{"openapi":"3.0.0","servers":[{"url":"https://x.example.com"}],"paths":{"/a":{"get":{"parameters":[
      {"name":"q","in":"query","schema":{"type":"array","items":{},"default":${deep},"enum":[${deep},[]]}}]}}}}`;
    const arg = importOpenApi(text, OPTS).doc.tools![0]!.args![0]!;
    expect(arg).toEqual({ name: 'q', position: 'query', type: 'array', enum: [[]] });
  });

  it('never writes a secret into the config when security schemes carry example values', async () => {
    const result = importOpenApi(await fixture('petstore.openapi.yaml'), OPTS);
    for (const value of Object.values(result.doc.servers?.[0]?.config ?? {})) {
      expect(value === 'https://eu.petstore.example.com/v2' || /^\{\{ env "[A-Z0-9_]+" \}\}$/.test(value)).toBe(true);
    }
  });

  describe('refuses', () => {
    it('a document without "openapi" or "swagger" when the input is other YAML', () => {
      expectImportError(() => importOpenApi('name: tickets\ntenant: acme\n', OPTS), /^not an OpenAPI document: missing "openapi" or "swagger" field$/);
      expectImportError(() => importOpenApi('- a\n- b\n', OPTS), /not an OpenAPI document: expected a map/);
      expectImportError(() => importOpenApi('   ', OPTS), /empty document/);
    });

    it('an unsupported version when the document is OpenAPI 2.x or 4', () => {
      expectImportError(() => importOpenApi('swagger: "1.2"\npaths: {}\n', OPTS), /unsupported Swagger version "1.2"/);
      expectImportError(() => importOpenApi('{"openapi": "4.0.0", "paths": {}}', OPTS), /unsupported OpenAPI version "4.0.0"/);
    });

    it('malformed YAML with its line when the syntax is broken', () => {
      const text = 'openapi: 3.0.0\ninfo:\n  title: x\n  version: 1\npaths:\n  /a:\n    get: {responses: [}\n';
      expectImportError(() => importOpenApi(text, OPTS), /^line 7, column \d+: invalid YAML: /);
      expectImportError(() => importOpenApi('openapi: 3.0.0\nopenapi: 3.1.0\n', OPTS), /^line 2, column 1: invalid YAML: Map keys must be unique/);
    });

    it('malformed JSON with its line when a JSON document is broken', () => {
      expectImportError(() => importOpenApi('{\n  "openapi": "3.0.0",\n  "paths": {,}\n}', OPTS), /^line 3, column \d+: invalid YAML/);
    });

    it('a $ref cycle naming its links when refs point at each other', () => {
      const spec = {
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        servers: [{ url: 'https://x.example.com' }],
        paths: { '/a': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } } } } } },
        components: { schemas: { A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } } },
      };
      expectImportError(() => importOpenApi(JSON.stringify(spec), OPTS), /^POST \/a: \$ref cycle: #\/components\/schemas\/A → #\/components\/schemas\/B → #\/components\/schemas\/A$/);
    });

    it('an external $ref when a schema points at another file or a URL', () => {
      for (const ref of ['other.yaml#/Pet', 'https://169.254.169.254/latest/meta-data#/x']) {
        const spec = {
          openapi: '3.0.0',
          info: { title: 't', version: '1' },
          servers: [{ url: 'https://x.example.com' }],
          paths: { '/a': { get: { parameters: [{ $ref: ref }] } } },
        };
        expectImportError(() => importOpenApi(JSON.stringify(spec), OPTS), /external \$ref ".*" is not supported: only refs inside the document \("#\/\.\.\."\) are followed/);
      }
    });

    it('a $ref that resolves to nothing when the target is missing', () => {
      const spec = { swagger: '2.0', info: { title: 't', version: '1' }, host: 'x.example.com', paths: { '/a': { get: { parameters: [{ $ref: '#/parameters/nope' }] } } } };
      expectImportError(() => importOpenApi(JSON.stringify(spec), OPTS), /^GET \/a parameters\[0\]: \$ref "#\/parameters\/nope" does not resolve: nothing at "parameters"$/);
      const proto = { swagger: '2.0', info: { title: 't', version: '1' }, host: 'x.example.com', paths: { '/a': { get: { parameters: [{ $ref: '#/__proto__' }] } } } };
      expectImportError(() => importOpenApi(JSON.stringify(proto), OPTS), /does not resolve/);
    });

    it('a YAML alias bomb when aliases would expand exponentially', () => {
      const lines = ['openapi: 3.0.0', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
      lines.push('paths: {}');
      expectImportError(() => importOpenApi(lines.join('\n'), OPTS), /too many YAML alias expansions/);
    });

    it('a $ref fan-out when schemas reference each other exponentially', () => {
      const schemas: Record<string, unknown> = { L0: { type: 'string' } };
      for (let i = 1; i <= 12; i++) {
        schemas[`L${i}`] = { type: 'object', properties: Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`p${k}`, { $ref: `#/components/schemas/L${i - 1}` }])) };
      }
      const spec = {
        openapi: '3.0.0',
        info: { title: 't', version: '1' },
        servers: [{ url: 'https://x.example.com' }],
        paths: { '/a': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/L12' } } } } } } },
        components: { schemas },
      };
      const started = performance.now();
      expectImportError(() => importOpenApi(JSON.stringify(spec), OPTS), /schemas expand to more than \d+ nodes/);
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it('a relative server URL when no baseUrl is given', () => {
      const spec = (servers: unknown) => JSON.stringify({ openapi: '3.0.0', info: { title: 't', version: '1' }, servers, paths: { '/a': { get: {} } } });
      expectImportError(() => importOpenApi(spec([{ url: '/api/v3' }]), OPTS), /server URL "\/api\/v3" is relative .*give baseUrl \(e\.g\. https:\/\/api\.example\.com\/api\/v3\)/);
      expectImportError(() => importOpenApi(spec(undefined), OPTS), /no servers.*give baseUrl/);
      expect(importOpenApi(spec([{ url: '/api/v3' }]), { ...OPTS, baseUrl: 'https://h.example.com/api/v3' }).doc.servers?.[0]?.config?.base).toBe(
        'https://h.example.com/api/v3',
      );
      expectImportError(() => importOpenApi(JSON.stringify({ swagger: '2.0', paths: { '/a': { get: {} } } }), OPTS), /no host.*give baseUrl/);
    });

    it('bad options when tenant, name, prefix or baseUrl are invalid', () => {
      const text = JSON.stringify({ openapi: '3.0.0', servers: [{ url: 'https://x.example.com' }], paths: { '/a': { get: {} } } });
      expectImportError(() => importOpenApi(text, { ...OPTS, tenant: '../etc' }), /^tenant "\.\.\/etc": must be/);
      expectImportError(() => importOpenApi(text, { ...OPTS, prefix: '/acme/mcp' }), /^prefix: must not end in "\/mcp"/);
      expectImportError(() => importOpenApi(text, { ...OPTS, baseUrl: 'file:///etc/passwd' }), /^baseUrl: "file:\/\/\/etc\/passwd" is not an http or https URL$/);
      expectImportError(() => importOpenApi(text, { ...OPTS, baseUrl: 'https://user:pw@x.example.com' }), /credentials in the URL are not allowed/);
    });

    it('a document with nothing to import when every operation is skipped', () => {
      const text = JSON.stringify({
        openapi: '3.0.0',
        servers: [{ url: 'https://x.example.com' }],
        paths: { '/a': { put: { requestBody: { required: true, content: { 'application/octet-stream': {} } } } } },
      });
      expectImportError(() => importOpenApi(text, OPTS), /^no operation could be imported: PUT \/a: request body of type application\/octet-stream cannot be sent/);
      expectImportError(() => importOpenApi('{"openapi": "3.0.0", "servers": [{"url": "https://x.example.com"}], "paths": {}}', OPTS), /describes no operations/);
    });
  });

  it('calls the described backend through the real gateway when a spec is imported with baseUrl', async () => {
    const received: { method: string; path: string; query: [string, string][]; headers: Record<string, string>; body: string }[] = [];
    const backend = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const url = new URL(req.url);
        received.push({ method: req.method, path: url.pathname, query: [...url.searchParams], headers: Object.fromEntries(req.headers), body: await req.text() });
        return Response.json({ ok: true, id: 'order-1' }, { status: 201 });
      },
    });
    const demo = startDemoBackend({ port: 0 });
    const root = await mkdtemp(join(tmpdir(), 'openapi-e2e-'));
    temps.push(root);
    let gateway: Awaited<ReturnType<typeof startGateway>> | undefined;
    const clients: Client[] = [];
    try {
      const spec = `
openapi: 3.0.3
info: {title: Recorder, version: "1"}
servers: [{url: "https://unused.example.com"}]
security: [{apiKey: []}]
components:
  securitySchemes:
    apiKey: {type: apiKey, in: header, name: X-Api-Key}
paths:
  /shops/{shop}/orders:
    post:
      operationId: createOrder
      parameters:
        - {name: shop, in: path, required: true, schema: {type: string}}
        - {name: dryRun, in: query, schema: {type: boolean}}
        - {name: tag, in: query, schema: {type: array, items: {type: string}}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [items]
              properties:
                items: {type: array, items: {type: object, properties: {sku: {type: string}, qty: {type: integer}}}}
                note: {type: string}
                gift: {type: boolean, default: false}
                address: {type: object, properties: {city: {type: string}}}
`;
      const opts = { tenant: 'e2e', name: 'recorder', prefix: '/e2e/recorder', baseUrl: `http://127.0.0.1:${backend.port}/base` };
      const recorder = importOpenApi(spec, opts);
      const usersOpts = { tenant: 'e2e', name: 'users', prefix: '/e2e/users', baseUrl: demo.url };
      const users = importOpenApi(await fixture('demo-users.openapi.yaml'), usersOpts);
      for (const [o, r] of [
        [opts, recorder],
        [usersOpts, users],
      ] as const) {
        const path = join(root, 'configs', o.tenant, `${o.name}.yaml`);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, r.yaml);
      }
      const { settings, issues } = loadSettings({
        argv: ['--config', root, '--host', '127.0.0.1', '--port', '0', '--allowed-networks', '127.0.0.1/32', '--env-allowlist', 'RECORDER_API_KEY'],
        env: {},
      });
      expect(issues).toEqual([]);
      gateway = await startGateway(settings, { logger: createLogger('error'), env: { RECORDER_API_KEY: 'k-123' } });
      const connect = async (prefix: string) => {
        const client = new Client({ name: 'openapi-e2e', version: '1.0.0' });
        clients.push(client);
        await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway!.url}${prefix}/mcp`)));
        return client;
      };

      const client = await connect('/e2e/recorder');
      const listed = await client.listTools();
      expect(listed.tools.map((t) => t.name)).toEqual(['createOrder']);
      expect(listed.tools[0]!.inputSchema.required).toEqual(['shop', 'items']);
      const args = { shop: 'a b/c', dryRun: true, tag: ['x', 'y z'], items: [{ sku: 'S-"1"', qty: 2 }], address: { city: 'Zürich' } };
      const result = (await client.callTool({ name: 'createOrder', arguments: args })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
      expect(received).toHaveLength(1);
      const req = received[0]!;
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/base/shops/a%20b%2Fc/orders');
      expect(req.query).toEqual([
        ['dryRun', 'true'],
        ['tag', 'x'],
        ['tag', 'y z'],
      ]);
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['x-api-key']).toBe('k-123');
      expect(JSON.parse(req.body)).toEqual({ items: [{ sku: 'S-"1"', qty: 2 }], gift: false, address: { city: 'Zürich' } });

      // The demo-users fixture describes the demo backend: create, then read back, through the gateway.
      const usersClient = await connect('/e2e/users');
      const created = (await usersClient.callTool({ name: 'create_user', arguments: { name: 'Edsger "EWD" Dijkstra', email: 'ewd@example.com', tags: ['compilers'] } })) as CallToolResult;
      expect(created.isError ?? false).toBe(false);
      const user = JSON.parse((created.content[0] as { text: string }).text) as { id: string; role: string; tags: string[] };
      expect(user).toMatchObject({ role: 'user', tags: ['compilers'] });
      const fetched = (await usersClient.callTool({ name: 'get_user', arguments: { id: user.id } })) as CallToolResult;
      expect(JSON.parse((fetched.content[0] as { text: string }).text)).toMatchObject({ id: user.id, name: 'Edsger "EWD" Dijkstra' });
      const updated = (await usersClient.callTool({ name: 'update_user', arguments: { id: user.id, role: 'admin' } })) as CallToolResult;
      expect(JSON.parse((updated.content[0] as { text: string }).text)).toMatchObject({ id: user.id, role: 'admin', email: 'ewd@example.com' });
      const listedUsers = (await usersClient.callTool({ name: 'list_users', arguments: { q: 'ewd', limit: 5 } })) as CallToolResult;
      expect(JSON.parse((listedUsers.content[0] as { text: string }).text)).toMatchObject({ total: 1 });
    } finally {
      for (const c of clients) await c.close().catch(() => {});
      await gateway?.stop(1000);
      await backend.stop(true);
      await demo.stop();
    }
  });
});
