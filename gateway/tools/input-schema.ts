/**
 * The JSON Schema a tool advertises in tools/list, generated once at load from its `args` and merged
 * with its hand-written `inputSchema` (the seed system's semantics, plus the full-schema form).
 */
import type { ArgItems, Tool as ToolSpec } from '../config/schema.ts';
import type { Tool } from '../routing/endpoint.ts';
import { parseDefault, ToolCompileError } from './args.ts';

export type InputSchema = Tool['inputSchema'];
type JsonObject = Record<string, unknown>;

/** Keywords that mark `inputSchema` as a full object schema rather than a map of property schemas. */
const SCHEMA_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$defs',
  'definitions',
  'type',
  'title',
  'description',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'propertyNames',
  'minProperties',
  'maxProperties',
  'dependentRequired',
  'dependentSchemas',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'examples',
]);

/**
 * Builds a tool's input schema: one property per arg (`type`, `description`, `enum`, `default` parsed to
 * its type, recursive `items`), `required` from `required: true`, then `inputSchema` merged on top. The
 * merge accepts the seed system's map form (keys are property names, each replacing the generated one)
 * and a full `{type: object, properties, required}` schema (properties merged, required unioned).
 */
export function buildInputSchema(tool: ToolSpec): InputSchema {
  const properties: Record<string, object> = {};
  const required: string[] = [];
  for (const arg of tool.args ?? []) {
    const prop: JsonObject = {};
    if (arg.type) prop.type = arg.type;
    if (arg.description) prop.description = arg.description;
    if (arg.enum) prop.enum = [...arg.enum];
    if (arg.type === 'array' && arg.items) prop.items = itemsSchema(arg.items);
    if (arg.type === 'object' && arg.items?.properties) {
      // Object args have no `properties` key of their own; the seed system's configs put them in items.
      prop.properties = arg.items.properties;
      if (arg.items.required) prop.required = [...arg.items.required];
    }
    if (arg.default !== undefined && arg.default !== null) {
      const value = parseDefault(arg.default, arg.type);
      if (typeof value === 'symbol') {
        throw new ToolCompileError(`tool "${tool.name}": argument "${arg.name}": default ${JSON.stringify(arg.default)} is not of type ${arg.type}`);
      }
      prop.default = value;
    }
    properties[arg.name] = prop;
    if (arg.required && !required.includes(arg.name)) required.push(arg.name);
  }

  const schema: JsonObject = { type: 'object', properties };
  const extra = tool.inputSchema;
  if (extra && Object.keys(extra).length > 0) {
    if (isFullSchema(extra)) {
      for (const [key, value] of Object.entries(extra)) {
        if (key === 'type' || key === 'properties' || key === 'required') continue;
        schema[key] = value;
      }
      const props = extra.properties;
      if (props !== undefined) {
        if (!isObject(props)) throw new ToolCompileError(`tool "${tool.name}": inputSchema.properties must be an object`);
        mergeProperties(tool.name, properties, props, 'inputSchema.properties');
      }
      const req = extra.required;
      if (req !== undefined) {
        if (!Array.isArray(req) || !req.every((r) => typeof r === 'string')) {
          throw new ToolCompileError(`tool "${tool.name}": inputSchema.required must be a list of names`);
        }
        for (const name of req) if (!required.includes(name)) required.push(name);
      }
    } else {
      mergeProperties(tool.name, properties, extra, 'inputSchema');
    }
  }
  if (required.length > 0) schema.required = required;
  return schema as InputSchema;
}

function mergeProperties(toolName: string, into: Record<string, object>, from: JsonObject, where: string): void {
  for (const [name, value] of Object.entries(from)) {
    if (!isObject(value)) throw new ToolCompileError(`tool "${toolName}": ${where}.${name} must be a schema object`);
    into[name] = value;
  }
}

/**
 * A full schema has `type: "object"` (a property schema would be an object, never the string), or
 * `properties` plus only schema keywords.
 */
function isFullSchema(extra: JsonObject): boolean {
  if (extra.type === 'object') return true;
  if (!isObject(extra.properties)) return false;
  return Object.keys(extra).every((key) => SCHEMA_KEYWORDS.has(key) && !isPropertySchema(key, extra[key]));
}

/** `type`, `description`... given as an object are property schemas named like keywords. */
function isPropertySchema(key: string, value: unknown): boolean {
  return key !== 'properties' && key !== '$defs' && key !== 'definitions' && key !== 'additionalProperties' && isObject(value) && (key === 'type' || key === 'description' || key === 'title' || key === 'required');
}

function itemsSchema(items: ArgItems): JsonObject {
  const out: JsonObject = {};
  if (items.type) out.type = items.type;
  if (items.description) out.description = items.description;
  if (items.enum) out.enum = [...items.enum];
  if (items.properties) out.properties = items.properties;
  if (items.required) out.required = [...items.required];
  if (items.items) out.items = itemsSchema(items.items);
  return out;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
