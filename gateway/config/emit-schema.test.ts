import { describe, expect, it } from 'bun:test';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { emitSchemas, JSON_SCHEMA_DIALECT, SCHEMA_DIR } from './emit-schema.ts';
import { EMITTED_SCHEMAS, McpConfig } from './schema.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every `$ref` in a schema document. */
function refs(node: Json, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, out);
  else if (isObj(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

/** Resolves a local JSON pointer reference (`#/definitions/X`) in `root`. */
function resolveRef(root: Obj, ref: string): Json | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: Json | undefined = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObj(node) ? node[key] : undefined;
  }
  return node;
}

/**
 * A small draft-07 validator covering the keywords the emitted schemas use, so the test checks the
 * JSON files themselves, not only the TypeBox source they came from.
 */
function validates(root: Obj, schema: Json, value: unknown): boolean {
  if (schema === true || (isObj(schema) && Object.keys(schema).length === 0)) return true;
  if (!isObj(schema)) return false;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(root, schema.$ref);
    return target !== undefined && validates(root, target, value);
  }
  const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (typeof schema.type === 'string') {
    const ok =
      schema.type === kind ||
      (schema.type === 'integer' && typeof value === 'number' && Number.isInteger(value)) ||
      (schema.type === 'number' && typeof value === 'number');
    if (!ok) return false;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) return false;
  if ('const' in schema && schema.const !== value) return false;
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s) => validates(root, s, value))) return false;
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) return false;
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return false;
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return false;
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return false;
    if (typeof schema.maximum === 'number' && value > schema.maximum) return false;
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    if (!value.every((v) => validates(root, schema.items as Json, v))) return false;
  }
  if (isObj(value)) {
    const props = isObj(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required) && !schema.required.every((k) => typeof k === 'string' && k in value)) return false;
    for (const [k, v] of Object.entries(value)) {
      if (k in props) {
        if (!validates(root, props[k] as Json, v)) return false;
      } else if (schema.additionalProperties === false) return false;
      else if (isObj(schema.additionalProperties) && !validates(root, schema.additionalProperties, v)) return false;
    }
  }
  return true;
}

const SAMPLE = {
  name: 'tickets',
  tenant: 'acme',
  routers: [{ server: 'api', prefix: '/acme/tickets', cors: { allowOrigins: ['https://x.example'] } }],
  servers: [{ name: 'api', allowedTools: ['get'], config: { base: 'http://x' } }],
  tools: [
    {
      name: 'get',
      method: 'GET',
      endpoint: '{{.Config.base}}/t/{{.Args.id}}',
      headers: { Accept: 'application/json' },
      args: [
        { name: 'id', position: 'path', required: true, type: 'string' },
        { name: 'tags', position: 'query', type: 'array', default: '[]', items: { type: 'array', items: { type: 'string', enum: ['a'] } } },
      ],
      timeout: '10s',
    },
  ],
  mcpServers: [{ name: 'up', type: 'sse', url: 'http://127.0.0.1:3002/sse', policy: 'onDemand' }],
};

describe('emit-schema', () => {
  for (const [file, text] of emitSchemas()) {
    it(`${file} is committed and equal to a fresh emit (run: bun run schema)`, async () => {
      expect(await readFile(join(SCHEMA_DIR, file), 'utf8')).toBe(text);
    });

    it(`${file} declares draft-07 and resolves every $ref inside itself`, () => {
      const schema = JSON.parse(text) as Obj;
      expect(schema.$schema).toBe(JSON_SCHEMA_DIALECT);
      for (const ref of refs(schema)) expect({ ref, resolved: resolveRef(schema, ref) !== undefined }).toEqual({ ref, resolved: true });
    });
  }

  it('emits a file for every schema in EMITTED_SCHEMAS', () => {
    expect([...emitSchemas().keys()].sort()).toEqual(Object.keys(EMITTED_SCHEMAS).sort());
  });

  it('accepts a sample document, by the TypeBox source and by the emitted JSON Schema', () => {
    const emitted = JSON.parse(emitSchemas().get('mcp-config.schema.json') ?? '{}') as Obj;
    expect(Value.Check(McpConfig, SAMPLE)).toBe(true);
    expect(validates(emitted, emitted, SAMPLE)).toBe(true);
  });

  it('rejects an unknown key, by the TypeBox source and by the emitted JSON Schema', () => {
    const emitted = JSON.parse(emitSchemas().get('mcp-config.schema.json') ?? '{}') as Obj;
    const bad = { ...SAMPLE, tools: [{ ...SAMPLE.tools[0], descripton: 'typo' }] };
    expect(Value.Check(McpConfig, bad)).toBe(false);
    expect(validates(emitted, emitted, bad)).toBe(false);
  });

  it('rejects an unknown key nested in recursive array items', () => {
    const emitted = JSON.parse(emitSchemas().get('mcp-config.schema.json') ?? '{}') as Obj;
    const tool = SAMPLE.tools[0]!;
    const bad = {
      ...SAMPLE,
      tools: [{ ...tool, args: [{ name: 'x', position: 'query', type: 'array', items: { type: 'array', items: { typo: 1 } } }] }],
    };
    expect(Value.Check(McpConfig, bad)).toBe(false);
    expect(validates(emitted, emitted, bad)).toBe(false);
  });
});
