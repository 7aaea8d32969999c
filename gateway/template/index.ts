/**
 * Go text/template–compatible templates for config strings (`{{ .Config.base }}/users/{{ .Args.id }}`),
 * parsed and compiled once at config load into closures; render() is the hot path.
 *
 * Deliberate differences from Go (template.test.ts has an example of each):
 * - a missing key / nil prints as "" (Go: `<no value>` / `<nil>`), also in print and printf %v/%s;
 * - objects and arrays print as compact JSON (Go: `map[a:1]`, `[1 2]`);
 * - integral numbers print as integers (JSON numbers are float64 in Go and print as 1e+06);
 * - field access on a non-object yields nil instead of an error; only own properties are read;
 * - arity errors, arguments given to a non-function and calls of undefined templates are
 *   compile errors (Go reports them when executing);
 * - `split` returns a list (sprig returns a map _0, _1, ...); `keys` is sorted;
 * - add/sub/mul/div/mod keep fractions when an operand is not integral (sprig truncates to int64);
 * - `eq` compares collections structurally and a number with a string as unequal (Go errors);
 * - strings are indexed, sliced and measured in UTF-16 code units (Go: UTF-8 bytes);
 * - `now`, `date` and printed times use UTC; `unixEpoch` returns a string, as sprig;
 * - `call` and method calls do not exist: data is plain JSON-like values.
 */
import { ParseError, SourceMap, TemplateError } from './errors.ts';
import { compileTree, collectRoots } from './compile.ts';
import { BUILTINS, FUNCTION_NAMES, type FuncSpec, type RenderOptions } from './funcs.ts';
import { parse } from './parser.ts';

export { TemplateError, type TemplateErrorCode } from './errors.ts';
export type { RenderOptions } from './funcs.ts';
export { FUNCTION_NAMES };

export interface Template {
  readonly source: string;
  /** True when the template has no actions (plain text); render returns source unchanged. */
  readonly isStatic: boolean;
  /**
   * Names of fields referenced at top level, e.g. ['Args','Config'] — lets callers skip building
   * unused context. Contains '*' when the data is used as a whole (`{{ toJSON . }}`, `$`).
   */
  readonly roots: ReadonlySet<string>;
  /** Renders with `data` as dot and `$`; throws TemplateError (code 'template_exec') only. */
  render(data: unknown, opts?: RenderOptions): string;
}

export interface CompileOptions {
  /** extra functions (name → impl); unknown names are compile errors */
  funcs?: Record<string, (...args: any[]) => unknown>;
}

/** Parses and compiles `source` once; throws TemplateError ('template_syntax' / 'template_unknown_function'). */
/**
 * Compiled templates by source, for calls without extra functions. Templates are immutable, and a
 * config repeats the same few sources (headers, `{{ .Config.base }}`) across hundreds of tools, so a
 * reload compiles each distinct source once. Bounded: cleared when it grows past the limit.
 */
const cache = new Map<string, Template>();
const CACHE_LIMIT = 20_000;

export function compile(source: string, opts?: CompileOptions): Template {
  if (opts?.funcs) return compileUncached(source, opts);
  let hit = cache.get(source);
  if (hit === undefined) {
    hit = compileUncached(source);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(source, hit);
  }
  return hit;
}

function compileUncached(source: string, opts?: CompileOptions): Template {
  let funcs: Readonly<Record<string, FuncSpec>> = BUILTINS;
  if (opts?.funcs) {
    const merged = Object.assign(Object.create(null) as Record<string, FuncSpec>, BUILTINS);
    for (const [name, fn] of Object.entries(opts.funcs)) merged[name] = { fn, min: 0, max: Infinity };
    funcs = merged;
  }
  // Plain text: no parse, no closures; render returns the source itself.
  if (!source.includes('{{')) return new CompiledTemplateImpl(source, true, new Set(), () => source);
  try {
    const tree = parse(source, (name) => name in funcs);
    const compiled = compileTree(source, tree, funcs);
    return new CompiledTemplateImpl(source, false, collectRoots(tree), compiled.render);
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    if (e instanceof ParseError) {
      const { line, col } = new SourceMap(source).lineCol(e.offset);
      throw new TemplateError(e.code, e.reason, line, col);
    }
    // Never let an internal failure escape as another error type (e.g. a stack overflow).
    throw new TemplateError('template_syntax', `internal error: ${e instanceof Error ? e.message : String(e)}`, 1, 1);
  }
}

class CompiledTemplateImpl implements Template {
  constructor(
    readonly source: string,
    readonly isStatic: boolean,
    readonly roots: ReadonlySet<string>,
    readonly render: (data: unknown, opts?: RenderOptions) => string,
  ) {}
}
