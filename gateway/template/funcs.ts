/**
 * Built-in functions: Go's text/template builtins, the sprig subset configs use, and the seed
 * system's own (toJSON, fromJSON, safeGet, safeGetOr, env).
 *
 * Argument order follows sprig everywhere: the subject comes last so it can be piped
 * (`{{ .Args.name | trimPrefix "x" }}`). String parameters accept any value and print it as an
 * action would (Go would reject a non-string), numbers convert like sprig's cast.ToInt64.
 * Implementations throw FuncError; the call site turns it into a positioned TemplateError.
 */
import { createHash } from 'node:crypto';
import { FuncError } from './errors.ts';
import { formatGoDate, toDate } from './date.ts';
import { goQuote, sprint, sprintf, sprintln } from './printf.ts';
import { compare, equal, show, toJSON, toText, truth, typeName } from './value.ts';

/** Options for one render; see index.ts. */
export interface RenderOptions {
  /** Lookup used by the `env` function; the gateway passes one that only reads allowlisted variables. Absent → `env` returns "". */
  env?: (name: string) => string | undefined;
  /** Clock for `now`/`date` (tests inject it). Default: () => new Date(). */
  now?: () => Date;
}

/** What a function needing the render context (env, now) receives as its first argument. */
export interface FuncContext {
  opts: RenderOptions;
}

export interface FuncSpec {
  /** `any[]`: each implementation declares its own parameter types. */
  readonly fn: (...args: any[]) => unknown;
  /** Argument count bounds, checked at compile time (the piped value counts). */
  readonly min: number;
  readonly max: number;
  /** fn receives the FuncContext before its arguments. */
  readonly ctx?: true;
}

const V = Infinity;
const spec = (fn: FuncSpec['fn'], min: number, max = min, ctx?: true): FuncSpec => (ctx ? { fn, min, max, ctx } : { fn, min, max });

/** A string parameter: strings as is, other values as an action prints them. */
const str = (v: unknown): string => (typeof v === 'string' ? v : toText(v));

/** An integer parameter (sprig's toInt). */
function int(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) ? Math.trunc(v) : 0;
    case 'boolean':
      return v ? 1 : 0;
    case 'string':
      return parseGoInt(v);
    default:
      return 0;
  }
}

/** cast.ToInt64 on a string: strconv.ParseInt(trimZeroDecimal(s), 0, 64); 0 when invalid. */
function parseGoInt(s: string): number {
  let t = s.trim();
  // cast's trimZeroDecimal: "3.000" → "3"
  const dot = t.indexOf('.');
  if (dot > 0 && /^\.0*$/.test(t.slice(dot))) t = t.slice(0, dot);
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(t);
  if (!m) return 0;
  const sign = m[1] === '-' ? -1 : 1;
  const body = m[2]!.replaceAll('_', '');
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (body.length > 1 && body[0] === '0') n = parseInt(body.slice(1), 8);
  else n = parseInt(body, 10);
  return Number.isNaN(n) ? 0 : sign * n;
}

/** A float parameter (sprig's toFloat64); 0 when not a number. */
function float(v: unknown): number {
  switch (typeof v) {
    case 'number':
      return v;
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      const t = v.trim();
      return /^[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t.replaceAll('_', '')) : 0;
    }
    default:
      return 0;
  }
}

/** Arithmetic operand: numbers as is, numeric strings parsed, everything else 0 (sprig). */
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'string' && /[.eE]/.test(v) ? float(v) : int(v));

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (v === null || v === undefined) throw new FuncError('index of nil');
    if (Array.isArray(v) || typeof v === 'string') {
      const what = Array.isArray(v) ? 'array' : 'string';
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new FuncError(`cannot index ${what} with ${show(k)}`);
      if (k < 0 || k >= v.length) throw new FuncError(`index out of range: ${k}`);
      v = typeof v === 'string' ? v.charCodeAt(k) : v[k];
    } else if (typeof v === 'object' && !(v instanceof Date)) {
      let key: string;
      if (typeof k === 'string') key = k;
      else if (typeof k === 'number' || typeof k === 'boolean') key = String(k);
      else throw new FuncError(`cannot index map with ${show(k)}`);
      v = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
    } else {
      throw new FuncError(`cannot index ${typeName(v)} with ${show(k)}`);
    }
  }
  return v;
}

function len(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (v === null || v === undefined) throw new FuncError('len of nil');
  if (typeof v === 'object' && !(v instanceof Date)) return Object.keys(v).length;
  throw new FuncError(`len of type ${typeName(v)}`);
}

function slice(item: unknown, ...idx: unknown[]): unknown {
  if (typeof item !== 'string' && !Array.isArray(item)) {
    throw new FuncError(item === null || item === undefined ? 'slice of nil' : `can't slice item of type ${typeName(item)}`);
  }
  if (idx.length > 3) throw new FuncError(`too many slice indexes: ${idx.length}`);
  if (idx.length === 3 && typeof item === 'string') throw new FuncError('cannot 3-index slice a string');
  const n = item.length;
  const ix = idx.map((k) => {
    if (typeof k !== 'number' || !Number.isInteger(k)) throw new FuncError(`cannot index slice with ${show(k)}`);
    if (k < 0 || k > n) throw new FuncError(`index out of range: ${k}`);
    return k;
  });
  const i = ix[0] ?? 0;
  const j = ix[1] ?? n;
  if (i > j) throw new FuncError(`invalid slice index: ${i} > ${j}`);
  if (ix[2] !== undefined && j > ix[2]) throw new FuncError(`invalid slice index: ${j} > ${ix[2]}`);
  return item.slice(i, j);
}

function eq(a: unknown, ...bs: unknown[]): boolean {
  for (const b of bs) if (equal(a, b)) return true;
  return false;
}

const HTML_ESC: Record<string, string> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\0': '\uFFFD' };

/** template.HTMLEscapeString */
function html(...args: unknown[]): string {
  return sprint(args).replace(/["'&<>\0]/g, (c) => HTML_ESC[c]!);
}

const JS_ESC: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D' };

/** template.JSEscapeString */
function js(...args: unknown[]): string {
  return sprint(args).replace(/[\\'"<>&=\x00-\x1f]|[^\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}\x00-\x7f]/gu, (c) => {
    const e = JS_ESC[c];
    if (e) return e;
    return '\\u' + c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  });
}

/** url.QueryEscape: unreserved characters kept, space as '+'. */
function urlquery(...args: unknown[]): string {
  return encodeURIComponent(sprint(args).toWellFormed())
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replaceAll('%20', '+');
}

function fromJSON(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch (e) {
    throw new FuncError(`invalid JSON: ${(e as Error).message}`);
  }
}

/** Dot path into objects and arrays (`a.b.0.c`); never throws, missing → nil. */
function safeGet(path: unknown, data: unknown): unknown {
  const p = str(path);
  if (p === '' || p === '.') return data;
  let v = data;
  for (const seg of (p[0] === '.' ? p.slice(1) : p).split('.')) {
    if (Array.isArray(v)) {
      if (!/^\d+$/.test(seg)) return undefined;
      v = v[Number(seg)];
    } else if (typeof v === 'object' && v !== null && !(v instanceof Date) && Object.hasOwn(v, seg)) {
      v = (v as Record<string, unknown>)[seg];
    } else {
      return undefined;
    }
  }
  return v;
}

function safeGetOr(path: unknown, data: unknown, dflt: unknown): unknown {
  const v = safeGet(path, data);
  return v === undefined || v === null ? dflt : v;
}

/** strings.Title: upper-case the first letter of each word. */
function title(v: unknown): string {
  let out = '';
  let prevSep = true;
  for (const ch of str(v)) {
    out += prevSep ? ch.toUpperCase() : ch;
    prevSep = isTitleSeparator(ch);
  }
  return out;
}

function isTitleSeparator(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  if (c < 0x80) return !/[A-Za-z0-9_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** sprig join: nil elements are skipped, others printed. A loop: Array#join is slow for short lists. */
function join(sep: unknown, list: unknown): string {
  const sp = str(sep);
  if (!Array.isArray(list)) return list === null || list === undefined ? '' : str(list);
  let out = '';
  let first = true;
  for (let i = 0; i < list.length; i++) {
    const x: unknown = list[i];
    if (x === null || x === undefined) continue;
    if (first) first = false;
    else out += sp;
    out += typeof x === 'string' ? x : toText(x);
  }
  return out;
}

function splitList(sep: unknown, s: unknown): string[] {
  const sp = str(sep);
  const t = str(s);
  return sp === '' ? Array.from(t) : t.split(sp);
}

function b64dec(v: unknown): string {
  const s = str(v);
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new FuncError(`illegal base64 data: ${show(s)}`);
  return Buffer.from(s, 'base64').toString('utf8');
}

/**
 * add/sub/mul/div/mod. Integral operands give integral results (div truncates, like sprig's
 * int64 arithmetic); a fractional operand switches to float arithmetic instead of truncating.
 */
function arith(op: 'add' | 'sub' | 'mul' | 'div' | 'mod') {
  const apply = (x: number, y: number, allInt: boolean): number => {
    switch (op) {
      case 'add':
        return x + y;
      case 'sub':
        return x - y;
      case 'mul':
        return x * y;
      case 'div':
        if (y === 0) throw new FuncError('division by zero');
        return allInt ? Math.trunc(x / y) : x / y;
      case 'mod':
        if (y === 0) throw new FuncError('division by zero');
        return x % y;
    }
  };
  return (...args: unknown[]): number => {
    // Fast path for the common two-number call, e.g. {{ add $i 1 }}.
    if (args.length === 2) {
      const x = args[0];
      const y = args[1];
      if (typeof x === 'number' && typeof y === 'number') return apply(x, y, Number.isInteger(x) && Number.isInteger(y));
    }
    if (args.length === 0) return 0;
    const a = args.map(num);
    const allInt = a.every(Number.isInteger);
    let r = a[0]!;
    for (let i = 1; i < a.length; i++) r = apply(r, a[i]!, allInt);
    return r;
  };
}

const MAX_OUTPUT = 16 * 1024 * 1024;

function repeat(count: unknown, s: unknown): string {
  const n = int(count);
  const t = str(s);
  if (n < 0) throw new FuncError(`negative repeat count: ${n}`);
  if (n * t.length > MAX_OUTPUT) throw new FuncError('repeat: result too large');
  return t.repeat(n);
}

/** sprig substr, with out-of-range indexes clamped instead of panicking. */
function substr(start: unknown, end: unknown, s: unknown): string {
  const t = str(s);
  const a = int(start);
  const b = int(end);
  if (a < 0) return t.slice(0, Math.max(0, b));
  if (b < 0 || b > t.length) return t.slice(a);
  return a > b ? '' : t.slice(a, b);
}

function trunc(c: unknown, s: unknown): string {
  const t = str(s);
  const n = int(c);
  if (n < 0 && t.length + n > 0) return t.slice(t.length + n);
  if (n >= 0 && t.length > n) return t.slice(0, n);
  return t;
}

function indent(n: unknown, s: unknown): string {
  const k = int(n);
  if (k < 0 || k > 10_000) throw new FuncError(`bad indent width: ${k}`);
  const pad = ' '.repeat(k);
  return pad + str(s).replaceAll('\n', '\n' + pad);
}

// --- regular expressions (RE2 syntax approximated with JS RegExp) ---

const regexCache = new Map<string, RegExp>();

const POSIX: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: '\\t\\n\\v\\f\\r ',
  xdigit: '0-9A-Fa-f',
  word: '\\w',
  punct: '!-\\/:-@\\[-`{-~',
  blank: '\\t ',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
  ascii: '\\x00-\\x7f',
};

/** Translates the RE2 constructs JS lacks: leading (?flags), (?P<name>), \A, \z, \pL, [[:alpha:]]. */
function translateRE2(pattern: string): { source: string; flags: string } {
  let p = pattern;
  let flags = '';
  const m = /^\(\?([imsU]+)\)/.exec(p);
  if (m) {
    if (m[1]!.includes('U')) throw new FuncError('regexp: ungreedy flag (?U) is not supported');
    flags = [...new Set(m[1]!)].join('');
    p = p.slice(m[0].length);
  }
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\' && i + 1 < p.length) {
      const d = p[i + 1]!;
      i++;
      if (d === 'A') out += '(?<![\\s\\S])';
      else if (d === 'z') out += '(?![\\s\\S])';
      else if (d === 'p' || d === 'P') {
        if (p[i + 1] !== '{' && i + 1 < p.length) {
          out += `\\${d}{${p[i + 1]}}`;
          i++;
        } else out += '\\' + d;
      } else out += '\\' + d;
    } else if (c === '(' && p.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
    } else if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      const name = close > 0 ? p.slice(i + 2, close) : '';
      const cls = Object.hasOwn(POSIX, name) ? POSIX[name] : undefined;
      if (cls === undefined) out += c;
      else {
        out += cls;
        i = close + 1;
      }
    } else out += c;
  }
  return { source: out, flags };
}

function regex(pattern: unknown, global = false): RegExp {
  const src = str(pattern);
  const key = (global ? 'g' : '-') + src;
  let re = regexCache.get(key);
  if (re) {
    re.lastIndex = 0;
    return re;
  }
  const { source, flags } = translateRE2(src);
  const f = flags + (global ? 'g' : '');
  try {
    re = new RegExp(source, f + 'u');
  } catch {
    try {
      re = new RegExp(source, f);
    } catch (e) {
      throw new FuncError(`regexp: ${(e as Error).message}`);
    }
  }
  if (regexCache.size >= 512) regexCache.clear(); // patterns come from config: the set is small
  regexCache.set(key, re);
  return re;
}

/** Go's Regexp.Expand template: $1, ${1}, $name, ${name}, $$. */
function expandGo(template: string, groups: (string | undefined)[], named: Record<string, string | undefined> | undefined): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    let end = i + 1;
    if (template[i + 1] === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (/^\w+$/.test(inner)) {
        name = inner;
        end = close + 1;
      }
    } else {
      const m = /^\w+/.exec(template.slice(i + 1));
      if (m) {
        name = m[0];
        end = i + 1 + m[0].length;
      }
    }
    if (name === undefined) {
      out += '$'; // malformed: Go treats the $ as text
      continue;
    }
    if (/^\d+$/.test(name)) out += groups[Number(name)] ?? '';
    else out += named?.[name] ?? '';
    i = end - 1;
  }
  return out;
}

function regexReplaceAll(re: unknown, s: unknown, repl: unknown): string {
  const tpl = str(repl);
  return str(s).replace(regex(re, true), (...args: unknown[]) => {
    const hasNamed = typeof args[args.length - 1] === 'object' && args[args.length - 1] !== null;
    const groups = args.slice(0, hasNamed ? -3 : -2) as (string | undefined)[];
    return expandGo(tpl, groups, hasNamed ? (args[args.length - 1] as Record<string, string | undefined>) : undefined);
  });
}

function regexFindAll(re: unknown, s: unknown, n: unknown): string[] {
  const limit = int(n);
  const out: string[] = [];
  for (const m of str(s).matchAll(regex(re, true))) {
    if (limit >= 0 && out.length >= limit) break;
    out.push(m[0]);
  }
  return out;
}

// --- case conversion (approximately xstrings, as sprig) ---

function words(v: unknown): string[] {
  return str(v)
    .replace(/([\p{Ll}\p{Nd}])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .split(/[\s_\-.]+/u)
    .filter((w) => w !== '');
}

const snakecase = (v: unknown): string => words(v).map((w) => w.toLowerCase()).join('_');
const kebabcase = (v: unknown): string => words(v).map((w) => w.toLowerCase()).join('-');
/** xstrings.ToCamelCase as sprig uses it: "http_server" → "HttpServer". */
const camelcase = (v: unknown): string =>
  str(v)
    .split(/[\s_-]+/u)
    .filter((w) => w !== '')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

function dict(...kv: unknown[]): Record<string, unknown> {
  // Null prototype: a "__proto__" key is data, not a prototype switch.
  const d = Object.create(null) as Record<string, unknown>;
  for (let i = 0; i < kv.length; i += 2) d[str(kv[i])] = i + 1 < kv.length ? kv[i + 1] : '';
  return d;
}

function keys(...dicts: unknown[]): string[] {
  const out: string[] = [];
  for (const d of dicts) {
    if (typeof d === 'object' && d !== null && !Array.isArray(d)) out.push(...Object.keys(d));
    else if (d !== null && d !== undefined) throw new FuncError(`keys of type ${typeName(d)}`);
  }
  return out.sort();
}

const isDict = (d: unknown): d is object => typeof d === 'object' && d !== null && !Array.isArray(d) && !(d instanceof Date);

/** The built-in function table (null prototype: names like "constructor" are not functions). */
export const BUILTINS: Readonly<Record<string, FuncSpec>> = Object.assign(Object.create(null) as Record<string, FuncSpec>, {
  // Go builtins. `and`/`or` are compiled as short-circuit forms; these entries serve piping/arity.
  and: spec((...a: unknown[]) => a.find((x) => !truth(x)) ?? a[a.length - 1], 1, V),
  or: spec((...a: unknown[]) => a.find((x) => truth(x)) ?? a[a.length - 1], 1, V),
  not: spec((v: unknown) => !truth(v), 1),
  index: spec(index, 1, V),
  slice: spec(slice, 1, V),
  len: spec(len, 1),
  eq: spec(eq, 2, V),
  ne: spec((a: unknown, b: unknown) => !equal(a, b), 2),
  lt: spec((a: unknown, b: unknown) => compare(a, b) < 0, 2),
  le: spec((a: unknown, b: unknown) => compare(a, b) <= 0, 2),
  gt: spec((a: unknown, b: unknown) => compare(a, b) > 0, 2),
  ge: spec((a: unknown, b: unknown) => compare(a, b) >= 0, 2),
  print: spec((...a: unknown[]) => sprint(a), 0, V),
  println: spec((...a: unknown[]) => sprintln(a), 0, V),
  printf: spec((f: unknown, ...a: unknown[]) => sprintf(str(f), a), 1, V),
  html: spec(html, 0, V),
  js: spec(js, 0, V),
  urlquery: spec(urlquery, 0, V),

  // Seed-system functions.
  toJSON: spec((v: unknown) => toJSON(v), 1),
  fromJSON: spec(fromJSON, 1),
  safeGet: spec(safeGet, 2),
  safeGetOr: spec(safeGetOr, 3),
  env: spec((c: FuncContext, name: unknown) => c.opts.env?.(str(name)) ?? '', 1, 1, true),

  // sprig
  toJson: spec((v: unknown) => toJSON(v), 1),
  fromJson: spec(fromJSON, 1),
  toPrettyJson: spec((v: unknown) => toJSON(v, 2), 1),
  default: spec((d: unknown, ...given: unknown[]) => (given.length === 0 || !truth(given[0]) ? d : given[0]), 1, 2),
  empty: spec((v: unknown) => !truth(v), 1),
  coalesce: spec((...a: unknown[]) => a.find(truth), 0, V),
  ternary: spec((t: unknown, f: unknown, c: unknown) => (truth(c) ? t : f), 3),
  upper: spec((s: unknown) => str(s).toUpperCase(), 1),
  lower: spec((s: unknown) => str(s).toLowerCase(), 1),
  title: spec(title, 1),
  trim: spec((s: unknown) => str(s).trim(), 1),
  trimPrefix: spec((p: unknown, s: unknown) => {
    const t = str(s);
    const q = str(p);
    return q !== '' && t.startsWith(q) ? t.slice(q.length) : t;
  }, 2),
  trimSuffix: spec((p: unknown, s: unknown) => {
    const t = str(s);
    const q = str(p);
    return q !== '' && t.endsWith(q) ? t.slice(0, t.length - q.length) : t;
  }, 2),
  replace: spec((o: unknown, n: unknown, s: unknown) => {
    const r = str(n);
    return str(s).replaceAll(str(o), () => r); // a function: `$&` in NEW is not a pattern
  }, 3),
  // sprig's split returns a map {_0: .., _1: ..}; a list is what configs want to range over.
  split: spec(splitList, 2),
  splitList: spec(splitList, 2),
  join: spec(join, 2),
  contains: spec((sub: unknown, s: unknown) => str(s).includes(str(sub)), 2),
  hasPrefix: spec((p: unknown, s: unknown) => str(s).startsWith(str(p)), 2),
  hasSuffix: spec((p: unknown, s: unknown) => str(s).endsWith(str(p)), 2),
  b64enc: spec((s: unknown) => Buffer.from(str(s), 'utf8').toString('base64'), 1),
  b64dec: spec(b64dec, 1),
  quote: spec((...a: unknown[]) => a.filter((x) => x !== null && x !== undefined).map((x) => goQuote(str(x))).join(' '), 0, V),
  squote: spec((...a: unknown[]) => a.filter((x) => x !== null && x !== undefined).map((x) => `'${str(x)}'`).join(' '), 0, V),
  toString: spec((v: unknown) => str(v), 1),
  int: spec(int, 1),
  int64: spec(int, 1),
  float64: spec(float, 1),
  add: spec(arith('add'), 0, V),
  sub: spec(arith('sub'), 2),
  mul: spec(arith('mul'), 1, V),
  div: spec(arith('div'), 2),
  mod: spec(arith('mod'), 2),
  add1: spec((v: unknown) => num(v) + 1, 1),
  max: spec((...a: unknown[]) => Math.max(...a.map(num)), 1, V),
  min: spec((...a: unknown[]) => Math.min(...a.map(num)), 1, V),
  now: spec((c: FuncContext) => (c.opts.now ? c.opts.now() : new Date()), 0, 0, true),
  date: spec((f: unknown, t: unknown) => formatGoDate(str(f), toDate(t)), 2),
  unixEpoch: spec((t: unknown) => String(Math.floor(toDate(t).getTime() / 1000)), 1),
  uuidv4: spec(() => crypto.randomUUID(), 0),
  list: spec((...a: unknown[]) => a, 0, V),
  dict: spec(dict, 0, V),
  keys: spec(keys, 1, V),
  hasKey: spec((d: unknown, k: unknown) => isDict(d) && Object.hasOwn(d, str(k)), 2),
  nospace: spec((s: unknown) => str(s).replace(/\s+/gu, ''), 1),
  repeat: spec(repeat, 2),
  substr: spec(substr, 3),
  trunc: spec(trunc, 2),
  indent: spec(indent, 2),
  nindent: spec((n: unknown, s: unknown) => '\n' + indent(n, s), 2),
  regexMatch: spec((re: unknown, s: unknown) => regex(re).test(str(s)), 2),
  regexFind: spec((re: unknown, s: unknown) => regex(re).exec(str(s))?.[0] ?? '', 2),
  regexFindAll: spec(regexFindAll, 3),
  regexReplaceAll: spec(regexReplaceAll, 3),
  regexReplaceAllLiteral: spec((re: unknown, s: unknown, r: unknown) => {
    const lit = str(r);
    return str(s).replace(regex(re, true), () => lit);
  }, 3),
  sha256sum: spec((s: unknown) => createHash('sha256').update(str(s)).digest('hex'), 1),
  snakecase: spec(snakecase, 1),
  camelcase: spec(camelcase, 1),
  kebabcase: spec(kebabcase, 1),
});

/** Names of the built-in functions, sorted (for docs and config validation). */
export const FUNCTION_NAMES: readonly string[] = Object.freeze(Object.keys(BUILTINS).sort());
