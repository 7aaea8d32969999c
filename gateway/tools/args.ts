/**
 * Tool arguments: defaults parsed once at load, then per call: defaults filled, required ones checked,
 * values coerced to the declared type (models often send numbers as strings and arrays as JSON text)
 * and enums checked, all before any request is made. Failures are tool results with `isError`, so the
 * model can correct itself (MCP spec, "Error Handling": input validation errors are tool errors).
 */
import type { Arg, ArgItems, ARG_POSITIONS, ARG_TYPES } from '../config/schema.ts';
import { deepFreeze } from './util.ts';

export type ArgPosition = (typeof ARG_POSITIONS)[number];
export type ArgType = (typeof ARG_TYPES)[number];

/** A config error found while compiling a tool (load time). */
export class ToolCompileError extends Error {
  readonly code = 'tool_compile';
  constructor(message: string) {
    super(message);
    this.name = 'ToolCompileError';
  }
}

/** One argument, ready for the hot path. */
export interface CompiledArg {
  readonly name: string;
  readonly position: ArgPosition;
  readonly type: ArgType | undefined;
  readonly required: boolean;
  readonly hasDefault: boolean;
  /** Parsed to the argument's type and deep-frozen (shared by every call). */
  readonly default: unknown;
  readonly enum: readonly unknown[] | undefined;
  readonly items: ArgItems | undefined;
}

export type ArgsOutcome = { ok: true; args: Record<string, unknown> } | { ok: false; message: string };

/** Compiles a tool's `args`; a default that does not parse as the declared type is a load error. */
export function compileArgs(toolName: string, args: readonly Arg[] | undefined): CompiledArg[] {
  const seen = new Set<string>();
  return (args ?? []).map((arg) => {
    if (seen.has(arg.name)) throw new ToolCompileError(`tool "${toolName}": argument "${arg.name}" is declared twice`);
    seen.add(arg.name);
    const hasDefault = arg.default !== undefined && arg.default !== null;
    let value: unknown;
    if (hasDefault) {
      value = parseDefault(arg.default, arg.type);
      if (value === INVALID) {
        throw new ToolCompileError(
          `tool "${toolName}": argument "${arg.name}": default ${JSON.stringify(arg.default)} is not ${article(arg.type!)}`,
        );
      }
    }
    return Object.freeze({
      name: arg.name,
      position: arg.position,
      type: arg.type,
      required: arg.required === true,
      hasDefault,
      default: deepFreeze(value),
      enum: arg.enum ? Object.freeze([...arg.enum]) : undefined,
      items: arg.items,
    });
  });
}

const INVALID: unique symbol = Symbol('invalid');

/** Parses a default as the seed system's configs write it: `"20"`, `"true"`, `"[]"`, `"{}"`. */
export function parseDefault(raw: unknown, type: ArgType | undefined): unknown {
  if (typeof raw !== 'string' || type === undefined || type === 'string') return raw;
  const value = coerce(raw, type, undefined);
  return value instanceof Mismatch ? INVALID : value;
}

/**
 * Fills defaults, checks required arguments, coerces types and checks enums. Returns the input object
 * itself when nothing changed (no copy on the common path). Unknown extra arguments are kept.
 */
export function prepareArgs(
  toolName: string,
  compiled: readonly CompiledArg[],
  input: Record<string, unknown>,
): ArgsOutcome {
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < compiled.length; i++) {
    const arg = compiled[i]!;
    const given = input[arg.name];
    let value: unknown = given;
    if (value === undefined || value === null) {
      if (arg.hasDefault) {
        value = arg.default;
      } else if (arg.required) {
        return { ok: false, message: `tool "${toolName}": missing required argument "${arg.name}"` };
      } else {
        if (given === null) {
          out ??= { ...input };
          delete out[arg.name];
        }
        continue;
      }
    } else if (arg.type !== undefined) {
      value = coerce(value, arg.type, arg.items);
      if (value === INVALID) return { ok: false, message: typeMessage(toolName, arg.name, arg.type, given) };
      if (value instanceof Mismatch) {
        return { ok: false, message: typeMessage(toolName, `${arg.name}${value.path}`, value.type, value.got) };
      }
    }
    if (arg.enum && !arg.enum.some((allowed) => same(allowed, value))) {
      return {
        ok: false,
        message: `tool "${toolName}": argument "${arg.name}" must be one of ${arg.enum.map(show).join(', ')}, got ${show(given ?? value)}`,
      };
    }
    if (value !== given) {
      out ??= { ...input };
      out[arg.name] = value;
    }
  }
  return { ok: true, args: out ?? input };
}

/** A nested type error inside an array argument, with the element's path (`[2]`). */
class Mismatch {
  constructor(
    readonly path: string,
    readonly type: ArgType,
    readonly got: unknown,
  ) {}
}

/** Coerces one value; INVALID when it cannot be read as `type`. */
function coerce(value: unknown, type: ArgType, items: ArgItems | undefined): unknown {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return INVALID;
    case 'number':
    case 'integer': {
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string' && value.trim() !== '') n = Number(value);
      else return INVALID;
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) return INVALID;
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const lower = value.trim().toLowerCase();
        if (lower === 'true') return true;
        if (lower === 'false') return false;
      }
      return INVALID;
    case 'array': {
      let list: unknown = value;
      if (typeof value === 'string') list = parseJson(value, '[');
      if (!Array.isArray(list)) return INVALID;
      return items ? coerceItems(list, items) : list;
    }
    case 'object': {
      let obj: unknown = value;
      if (typeof value === 'string') obj = parseJson(value, '{');
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return INVALID;
      return obj;
    }
  }
}

/** Coerces array elements to `items.type` (recursively) and checks `items.enum`. */
function coerceItems(list: unknown[], items: ArgItems): unknown {
  let out: unknown[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const element = list[i];
    let value = element;
    if (items.type !== undefined && element !== null) {
      value = coerce(element, items.type, items.items);
      if (value === INVALID) return new Mismatch(`[${i}]`, items.type, element);
      if (value instanceof Mismatch) return new Mismatch(`[${i}]${value.path}`, value.type, value.got);
    }
    if (items.enum && !items.enum.some((allowed) => same(allowed, value))) {
      return new Mismatch(`[${i}]`, items.type ?? 'string', element);
    }
    if (value !== element) {
      out ??= [...list];
      out[i] = value;
    }
  }
  return out ?? list;
}

function parseJson(text: string, opener: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith(opener)) return INVALID;
  try {
    return JSON.parse(trimmed);
  } catch {
    return INVALID;
  }
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  // Enums written in YAML as strings still match a coerced number ("1" vs 1) and vice versa.
  return (typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string') && String(a) === String(b);
}

function typeMessage(toolName: string, name: string, type: ArgType, got: unknown): string {
  return `tool "${toolName}": argument "${name}" must be ${article(type)}, got ${show(got)}`;
}

function article(type: ArgType): string {
  return type === 'integer' || type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}

/** A short rendering of a model-supplied value for error texts. */
function show(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
