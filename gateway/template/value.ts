/**
 * Value semantics shared by the compiler and the functions: truthiness, printing, field lookup,
 * comparison. Data is plain JS (what JSON.parse / the YAML loader produce), so Go's reflect kinds
 * map onto typeof: number (int or float64), string, boolean, null/undefined (nil / no value),
 * array (slice), object (map[string]any).
 */
import { FuncError } from './errors.ts';

/** Go's truth (exec.go isTrue): false, 0, nil, "" and empty collections are false. */
export function truth(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return v.length > 0;
    case 'number':
      return v !== 0 && !Number.isNaN(v);
    case 'object':
      if (Array.isArray(v)) return v.length > 0;
      if (v instanceof Date) return true;
      for (const k in v) if (Object.hasOwn(v, k)) return true;
      return false;
    default:
      return true;
  }
}

/**
 * How an action prints a value. Deliberate differences from Go: nil / no value prints as ""
 * (not `<no value>`), and objects/arrays print as compact JSON so `"tags": {{ .Args.tags }}`
 * in a JSON body stays JSON (Go would print `map[...]` / `[a b]`).
 */
export function toText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return formatNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return '';
    case 'object':
      if (v === null) return '';
      if (v instanceof Date) return formatRFC3339(v);
      return toJSON(v);
    case 'bigint':
      return v.toString();
    default:
      return ''; // functions and symbols have no textual form in data
  }
}

/** JSON.stringify that reports cycles and BigInts as FuncError, and maps undefined to `null` (Go: json.Marshal(nil)). */
export function toJSON(v: unknown, indent?: number): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v, null, indent);
  } catch (e) {
    throw new FuncError(`json: ${(e as Error).message}`);
  }
  return s ?? 'null';
}

/**
 * Numbers print as Go prints them: integral values as Go ints (no `.0`, no exponent below
 * 1e21), other values as Go's %v for float64 (strconv 'g', shortest): exponent form when the
 * exponent is < -4 or >= 6, with at least two exponent digits (1e-05, 1.5e+06).
 */
export function formatNumber(n: number): string {
  if ((n | 0) === n) return '' + (n | 0); // int32 (and -0 → "0"): the common case
  if (Number.isInteger(n)) {
    if (Math.abs(n) < 1e21) return n === 0 ? '0' : String(n);
    return goExponent(n.toExponential());
  }
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const abs = Math.abs(n);
  // strconv.FormatFloat(f, 'g', -1, 64) uses %e when exp < -4 || exp >= 6 for shortest output.
  if (abs < 1e-4 || abs >= 1e6) return goExponent(n.toExponential());
  return String(n);
}

/** JS `1.5e+7` / `1e-7` → Go `1.5e+07` / `1e-07`. */
export function goExponent(s: string): string {
  const e = s.indexOf('e');
  if (e < 0) return s;
  const sign = s[e + 1] === '-' ? '-' : '+';
  const digits = s.slice(e + 2);
  return `${s.slice(0, e)}e${sign}${digits.length < 2 ? '0' + digits : digits}`;
}

/** RFC 3339 in UTC without fractional seconds (Go's time.RFC3339 layout). */
export function formatRFC3339(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new FuncError('invalid time');
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Field lookup: own properties of plain objects only, so `.constructor` / `.__proto__` never
 * reach a prototype. Anything that is not an object (including arrays, strings, nil) yields
 * undefined: Go would error on a field of a non-struct/map, we stay lenient.
 */
export function field(v: unknown, name: string): unknown {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, name) ? (v as Record<string, unknown>)[name] : undefined;
}

/** Go-ish type name for messages (`%T`, "cannot index X with Y"). */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'time';
  const t = typeof v;
  return t === 'object' ? 'map' : t === 'boolean' ? 'bool' : t;
}

/** A value shown in an error message: strings quoted, others printed, long ones cut. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : v === undefined || v === null ? 'nil' : toText(v);
  } catch {
    s = typeName(v);
  }
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** Equality for `eq`/`ne`: nil == undefined, numbers by value, collections structurally (Go would reject them). */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || b === null) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  for (const k of ak) {
    if (!Object.hasOwn(b, k) || !equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Ordering for lt/le/gt/ge: numbers with numbers, strings with strings (Go's basic kinds). */
export function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) throw new FuncError('invalid type for comparison: NaN');
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' || a === null || a === undefined || typeof a === 'object') {
    throw new FuncError(`invalid type for comparison: ${typeName(a)}`);
  }
  if (typeof b === 'boolean' || b === null || b === undefined || typeof b === 'object') {
    throw new FuncError(`invalid type for comparison: ${typeName(b)}`);
  }
  throw new FuncError(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
}

/** Keys of an object in Go's map order (sorted). */
export function sortedKeys(o: object): string[] {
  return Object.keys(o).sort();
}
