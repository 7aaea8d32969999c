/**
 * Writes the JSON Schemas of the config contract to `config-repo/schema/`, for editors
 * (`# yaml-language-server: $schema=../../schema/mcp-config.schema.json`) and other tools.
 *
 *   bun gateway/config/emit-schema.ts           write the files
 *   bun gateway/config/emit-schema.ts --check   exit 1 when a committed file is stale (CI)
 *
 * Draft-07, because the YAML editors' schema support (yaml-language-server, monaco-yaml, both on
 * vscode-json-languageservice) is complete for draft-07 and only partial for 2019-09/2020-12, which
 * they flag with "not yet fully supported". The TypeBox output is draft-07 compatible once its
 * recursive `$id`/`$ref` pair is turned into a `#/definitions/...` reference, which this does.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { TSchema } from '@sinclair/typebox';
import { EMITTED_SCHEMAS } from './schema.ts';

export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#';

/** `config-repo/schema/` of this checkout. */
export const SCHEMA_DIR = join(import.meta.dir, '..', '..', 'config-repo', 'schema');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Converts a TypeBox schema to a self-contained draft-07 JSON Schema: TypeBox's symbols dropped,
 * nested `$id` schemas (Type.Recursive) moved under `definitions` with references rewritten to
 * `#/definitions/<id>`, unions of literals written as `enum`, and string records as
 * `additionalProperties` (both read better in editors' completions and hovers).
 */
export function toJsonSchema(schema: TSchema): JsonObject {
  // JSON round trip: drops TypeBox's symbol-keyed metadata (Kind, Optional, Hint).
  const root = JSON.parse(JSON.stringify(schema)) as JsonObject;
  const definitions: JsonObject = {};

  const visit = (node: Json, isRoot: boolean): Json => {
    if (Array.isArray(node)) return node.map((n) => visit(n, false));
    if (!isObject(node)) return node;
    if (!isRoot && typeof node.$id === 'string') {
      const id = node.$id;
      if (!(id in definitions)) {
        definitions[id] = {}; // reserve first: the body refers to itself
        const { $id: _drop, ...body } = node;
        definitions[id] = visit(body, false);
      }
      return { $ref: `#/definitions/${id}` };
    }
    if (typeof node.$ref === 'string' && !node.$ref.startsWith('#')) {
      return { ...node, $ref: `#/definitions/${node.$ref}` };
    }
    const anyOf = node.anyOf;
    if (Array.isArray(anyOf) && anyOf.length > 0 && anyOf.every((v) => isObject(v) && 'const' in v)) {
      const { anyOf: _drop, ...rest } = node;
      const values = anyOf.map((v) => (v as JsonObject).const as Json);
      const types = [...new Set(anyOf.map((v) => (v as JsonObject).type))];
      return { ...rest, ...(types.length === 1 && typeof types[0] === 'string' ? { type: types[0] } : {}), enum: values };
    }
    const patterns = node.patternProperties;
    if (isObject(patterns) && Object.keys(patterns).length === 1 && '^(.*)$' in patterns) {
      const { patternProperties: _drop, ...rest } = node;
      return visit({ ...rest, additionalProperties: patterns['^(.*)$'] ?? {} }, false);
    }
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) out[k] = visit(v, false);
    return out;
  };

  const body = visit(root, true) as JsonObject;
  const out: JsonObject = { $schema: JSON_SCHEMA_DIALECT, ...body };
  if (Object.keys(definitions).length > 0) out.definitions = definitions;
  return out;
}

/** Every emitted file's text, by file name: pretty JSON, 2 spaces, trailing newline. */
export function emitSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, schema] of Object.entries(EMITTED_SCHEMAS)) {
    out.set(file, `${JSON.stringify(toJsonSchema(schema), null, 2)}\n`);
  }
  return out;
}

/** Files under `dir` that are missing or differ from a fresh emit. */
export async function staleSchemas(dir: string = SCHEMA_DIR): Promise<string[]> {
  const stale: string[] = [];
  for (const [file, text] of emitSchemas()) {
    const current = await readFile(join(dir, file), 'utf8').catch(() => undefined);
    if (current !== text) stale.push(file);
  }
  return stale;
}

/** Writes the files that changed; returns their names. */
export async function writeSchemas(dir: string = SCHEMA_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stale = await staleSchemas(dir);
  const texts = emitSchemas();
  for (const file of stale) await writeFile(join(dir, file), texts.get(file) ?? '');
  return stale;
}

async function main(args: string[]): Promise<number> {
  const shown = (file: string) => relative(process.cwd(), join(SCHEMA_DIR, file));
  if (args.includes('--check')) {
    const stale = await staleSchemas();
    if (stale.length === 0) return 0;
    for (const file of stale) console.error(`stale: ${shown(file)}`);
    console.error('run: bun run schema');
    return 1;
  }
  const written = await writeSchemas();
  for (const file of written) console.log(`wrote ${shown(file)}`);
  if (written.length === 0) console.log('schemas up to date');
  return 0;
}

if (import.meta.main) process.exit(await main(Bun.argv.slice(2)));
