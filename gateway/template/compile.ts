/**
 * AST → closures. Everything that can be decided from the source is decided here, once:
 * function lookup and arity, variable slots, field paths, whether a list needs break/continue
 * checks, constant text. A render is then a walk over closures that append to one string
 * accumulator (`state.out`), with no name lookups and no per-node allocation.
 *
 * Config text is never turned into JavaScript (no eval, no Function constructor): closures only
 * read data.
 */
import { FuncError, ParseError, SourceMap, TemplateError } from './errors.ts';
import { BUILTINS, type FuncContext, type FuncSpec, type RenderOptions } from './funcs.ts';
import type { Command, ControlNode, Node, Operand, Pipe, TemplateDef, Tree } from './parser.ts';
import { field as get, show, sortedKeys, toText, truth } from './value.ts';

/** Go's text/template limits recursion the same way (maxExecDepth, 100000 there). */
export const MAX_TEMPLATE_DEPTH = 100;

/**
 * `range N` over an integer from request data would let a client make the gateway loop for
 * as long as it likes; Go has no limit, we refuse beyond this.
 */
export const MAX_RANGE_INT = 1_000_000;

const BREAK = 1;
const CONTINUE = 2;
const NO_VARS: unknown[] = [];
const DEFAULT_OPTS: RenderOptions = {};

/** Mutable per-render state; a class so every render has the same object shape. */
export class State implements FuncContext {
  out = '';
  /** 0, BREAK or CONTINUE: set by {{break}}/{{continue}}, consumed by the enclosing range. */
  ctl = 0;
  depth = 0;
  constructor(
    /** `$` of the current template frame. */
    public dollar: unknown,
    /** Variable slots of the current frame. */
    public vars: unknown[],
    public opts: RenderOptions,
  ) {}
}

type Exec = (s: State, dot: unknown) => void;
type Eval = (s: State, dot: unknown) => unknown;
type Piped = (s: State, dot: unknown, prev: unknown) => unknown;

interface Compiled {
  exec: Exec;
  frameSize: number;
  /** Set when the template is only text: render returns it. */
  constant: string | null;
}

/** Turns any failure inside a render into a positioned TemplateError. */
function execError(e: unknown, line: number, col: number, fn: string | null, builtin: boolean): TemplateError {
  if (e instanceof TemplateError) return e;
  let msg = e instanceof Error ? e.message : String(e);
  // A builtin only throws FuncError on purpose; anything else is a bug here, say so.
  if (builtin && !(e instanceof FuncError)) msg = `internal error: ${msg}`;
  return new TemplateError('template_exec', fn === null ? msg : `executing ${JSON.stringify(fn)}: ${msg}`, line, col);
}

/** A reader for `.a.b.c` applied to a value produced by `base`. */
function fieldPath(base: Eval | null, names: readonly string[]): Eval {
  const [a, b, c] = names as [string, string, string];
  if (base === null) {
    switch (names.length) {
      case 1:
        return (_s, d) => get(d, a);
      case 2:
        return (_s, d) => get(get(d, a), b);
      case 3:
        return (_s, d) => get(get(get(d, a), b), c);
      default:
        return (_s, d) => {
          let v = d;
          for (let i = 0; i < names.length; i++) v = get(v, names[i]!);
          return v;
        };
    }
  }
  if (names.length === 0) return base;
  if (names.length === 1) return (s, d) => get(base(s, d), a);
  if (names.length === 2) return (s, d) => get(get(base(s, d), a), b);
  return (s, d) => {
    let v = base(s, d);
    for (let i = 0; i < names.length; i++) v = get(v, names[i]!);
    return v;
  };
}

class Compiler {
  private readonly map: SourceMap;
  /** Compiled {{define}}s, filled lazily so templates may call each other (and themselves). */
  private readonly compiled = new Map<string, Compiled>();

  constructor(
    source: string,
    private readonly tree: Tree,
    private readonly funcs: Readonly<Record<string, FuncSpec>>,
  ) {
    this.map = new SourceMap(source);
  }

  main(): Compiled {
    return this.template(this.tree.main);
  }

  private template(def: TemplateDef): Compiled {
    const list = simplify(def.list);
    const constant = list.length === 0 ? '' : list.length === 1 && list[0]!.k === 'text' ? list[0]!.text : null;
    return { exec: this.list(list), frameSize: def.frameSize, constant };
  }

  private lc(pos: number): { line: number; col: number } {
    return this.map.lineCol(pos);
  }

  // --- nodes ---

  private list(nodes: readonly Node[]): Exec {
    const fns: Exec[] = [];
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      const next = nodes[i + 1];
      // Text followed by a printing action becomes one closure: half the calls per render.
      if (n.k === 'text' && next?.k === 'action' && next.pipe.decl.length === 0) {
        fns.push(this.action(next.pos, next.pipe, n.text));
        i++;
      } else fns.push(this.node(n));
    }
    const checked = nodes.some(canBreak);
    if (fns.length === 0) return () => {};
    if (fns.length === 1) return fns[0]!;
    if (checked) {
      return (s, d) => {
        for (let i = 0; i < fns.length; i++) {
          fns[i]!(s, d);
          if (s.ctl !== 0) return;
        }
      };
    }
    if (fns.length === 2) {
      const [f0, f1] = fns as [Exec, Exec];
      return (s, d) => {
        f0(s, d);
        f1(s, d);
      };
    }
    if (fns.length === 3) {
      const [f0, f1, f2] = fns as [Exec, Exec, Exec];
      return (s, d) => {
        f0(s, d);
        f1(s, d);
        f2(s, d);
      };
    }
    return (s, d) => {
      for (let i = 0; i < fns.length; i++) fns[i]!(s, d);
    };
  }

  private node(n: Node): Exec {
    switch (n.k) {
      case 'text': {
        const text = n.text;
        return (s) => {
          s.out += text;
        };
      }
      case 'action':
        return this.action(n.pos, n.pipe);
      case 'if': {
        const cond = this.pipe(n.pipe);
        const body = this.list(simplify(n.list));
        const alt = n.elseList ? this.list(simplify(n.elseList)) : null;
        return alt === null
          ? (s, d) => {
              if (truth(cond(s, d))) body(s, d);
            }
          : (s, d) => {
              if (truth(cond(s, d))) body(s, d);
              else alt(s, d);
            };
      }
      case 'with': {
        const val = this.pipe(n.pipe);
        const body = this.list(simplify(n.list));
        const alt = n.elseList ? this.list(simplify(n.elseList)) : null;
        return (s, d) => {
          const v = val(s, d);
          if (truth(v)) body(s, v);
          else if (alt !== null) alt(s, d);
        };
      }
      case 'range':
        return this.range(n);
      case 'template':
        return this.call(n.pos, n.name, n.pipe);
      case 'break':
        return (s) => {
          s.ctl = BREAK;
        };
      case 'continue':
        return (s) => {
          s.ctl = CONTINUE;
        };
    }
  }

  /** An action; `prefix` is literal text that precedes it in the output. */
  private action(pos: number, pipe: Pipe, prefix = ''): Exec {
    // `{{ $x := ... }}` prints nothing (Go).
    if (pipe.decl.length > 0) {
      const f = this.pipe(pipe);
      return (s, d) => {
        f(s, d);
      };
    }
    const { line, col } = this.lc(pos);
    const text = (v: unknown): string => {
      try {
        return toText(v);
      } catch (e) {
        throw execError(e, line, col, null, true);
      }
    };
    // `{{ .a.b }}` / `{{ $v.a }}`: the lookup is inlined in the printing closure.
    const args = pipe.cmds.length === 1 ? pipe.cmds[0]!.args : [];
    const op = args.length === 1 ? args[0]! : null;
    if (op?.k === 'field' && op.names.length <= 2) {
      const [a, b] = op.names as [string, string];
      if (op.names.length === 1) {
        return (s, d) => {
          const v = get(d, a);
          s.out = s.out + prefix + (typeof v === 'string' ? v : text(v));
        };
      }
      return (s, d) => {
        const v = get(get(d, a), b);
        s.out = s.out + prefix + (typeof v === 'string' ? v : text(v));
      };
    }
    if (op?.k === 'var' && op.slot >= 0 && op.names.length <= 1) {
      const slot = op.slot;
      const a = op.names[0];
      if (a === undefined) {
        return (s) => {
          const v = s.vars[slot];
          s.out = s.out + prefix + (typeof v === 'string' ? v : text(v));
        };
      }
      return (s) => {
        const v = get(s.vars[slot], a);
        s.out = s.out + prefix + (typeof v === 'string' ? v : text(v));
      };
    }
    const f = this.pipe(pipe);
    return (s, d) => {
      const v = f(s, d);
      s.out = s.out + prefix + (typeof v === 'string' ? v : text(v));
    };
  }

  private range(n: ControlNode): Exec {
    // The range pipeline's variables are set per iteration, not to the pipeline's value.
    const val = this.pipe({ ...n.pipe, decl: [] });
    const body = this.list(simplify(n.list));
    const alt = n.elseList ? this.list(simplify(n.elseList)) : null;
    const checked = n.list.some(canBreak);
    const [d0, d1] = n.pipe.decl;
    const k0 = d0 === undefined ? -2 : d0.slot;
    const k1 = d1 === undefined ? -2 : d1.slot;
    const set = (s: State, slot: number, v: unknown): void => {
      if (slot === -1) s.dollar = v;
      else s.vars[slot] = v;
    };
    const { line, col } = this.lc(n.pos);
    /** Runs one iteration; true when the loop must stop ({{break}}). */
    const iter = (s: State, key: unknown, elem: unknown): boolean => {
      if (k1 !== -2) {
        set(s, k0, key);
        set(s, k1, elem);
      } else if (k0 !== -2) set(s, k0, elem);
      body(s, elem);
      if (checked && s.ctl !== 0) {
        const c = s.ctl;
        s.ctl = 0;
        return c === BREAK;
      }
      return false;
    };
    // Arrays are the hot case (a response's items): variables written straight into their
    // slots, no per-iteration helper calls. `$` as a range variable takes the generic path.
    const direct = k0 !== -1 && k1 !== -1;
    return (s, d) => {
      const v = val(s, d);
      if (Array.isArray(v)) {
        const n = v.length;
        if (n === 0) {
          if (alt !== null) alt(s, d);
          return;
        }
        if (!direct) {
          for (let i = 0; i < n; i++) if (iter(s, i, v[i])) break;
          return;
        }
        const vars = s.vars;
        for (let i = 0; i < n; i++) {
          const e: unknown = v[i];
          if (k1 >= 0) {
            vars[k0] = i;
            vars[k1] = e;
          } else if (k0 >= 0) vars[k0] = e;
          body(s, e);
          if (checked && s.ctl !== 0) {
            const c = s.ctl;
            s.ctl = 0;
            if (c === BREAK) break;
          }
        }
        return;
      }
      if (v === null || v === undefined) {
        if (alt !== null) alt(s, d);
        return;
      }
      if (typeof v === 'object' && !(v instanceof Date)) {
        // Go ranges over maps in sorted key order.
        const keys = sortedKeys(v);
        if (keys.length === 0) {
          if (alt !== null) alt(s, d);
          return;
        }
        for (let i = 0; i < keys.length; i++) {
          const k = keys[i]!;
          if (iter(s, k, (v as Record<string, unknown>)[k])) break;
        }
        return;
      }
      if (typeof v === 'number' && Number.isInteger(v)) {
        // Go 1.22: range over an integer n yields 0..n-1.
        if (k1 !== -2) throw new TemplateError('template_exec', `can't use ${v} to iterate over more than one variable`, line, col);
        if (v <= 0) {
          if (alt !== null) alt(s, d);
          return;
        }
        if (v > MAX_RANGE_INT) throw new TemplateError('template_exec', `range over ${v} exceeds the limit of ${MAX_RANGE_INT}`, line, col);
        for (let i = 0; i < v; i++) if (iter(s, i, i)) break;
        return;
      }
      throw new TemplateError('template_exec', `range can't iterate over ${show(v)}`, line, col);
    };
  }

  private call(pos: number, name: string, pipe: Pipe | null): Exec {
    const arg = pipe ? this.pipe(pipe) : null;
    const { line, col } = this.lc(pos);
    let target: Compiled | undefined;
    return (s, d) => {
      const v = arg === null ? undefined : arg(s, d);
      if (target === undefined) target = this.define(name);
      if (s.depth >= MAX_TEMPLATE_DEPTH) {
        throw new TemplateError('template_exec', `exceeded maximum template depth (${MAX_TEMPLATE_DEPTH}) in ${JSON.stringify(name)}`, line, col);
      }
      // A template runs in a fresh frame whose `$` is its dot (Go's exec.walkTemplate).
      const vars = s.vars;
      const dollar = s.dollar;
      s.vars = target.frameSize > 0 ? new Array(target.frameSize) : NO_VARS;
      s.dollar = v;
      s.depth++;
      target.exec(s, v);
      s.depth--;
      s.vars = vars;
      s.dollar = dollar;
    };
  }

  /** Compiles a {{define}} on first use; the parser has checked that it exists. */
  private define(name: string): Compiled {
    let c = this.compiled.get(name);
    if (c === undefined) {
      // Placeholder first: a recursive template reaches itself while being compiled.
      const slot: Compiled = { exec: () => {}, frameSize: 0, constant: null };
      this.compiled.set(name, slot);
      const real = this.template(this.tree.defs.get(name)!);
      Object.assign(slot, real);
      c = slot;
    }
    return c;
  }

  /** Compiles every {{define}} up front so compile-time errors in unused ones still surface. */
  compileDefines(): void {
    for (const name of this.tree.defs.keys()) this.define(name);
  }

  // --- pipelines ---

  private pipe(p: Pipe): Eval {
    const cmds = p.cmds;
    const first = this.command(cmds[0]!, false) as Eval;
    let f: Eval;
    if (cmds.length === 1) f = first;
    else {
      const rest = cmds.slice(1).map((c) => this.command(c, true) as Piped);
      if (rest.length === 1) {
        const r0 = rest[0]!;
        f = (s, d) => r0(s, d, first(s, d));
      } else {
        f = (s, d) => {
          let v = first(s, d);
          for (let i = 0; i < rest.length; i++) v = rest[i]!(s, d, v);
          return v;
        };
      }
    }
    if (p.decl.length === 0) return f;
    const slot = p.decl[0]!.slot;
    if (slot === -1) {
      return (s, d) => {
        const v = f(s, d);
        s.dollar = v;
        return v;
      };
    }
    return (s, d) => {
      const v = f(s, d);
      s.vars[slot] = v;
      return v;
    };
  }

  /** A command; with `piped`, the result takes the previous command's value as last argument. */
  private command(cmd: Command, piped: boolean): Eval | Piped {
    const head = cmd.args[0]!;
    if (head.k === 'func') return this.funcCall(head.name, head.pos, cmd.args.slice(1), piped);
    if (cmd.args.length > 1 || piped) {
      throw new ParseError('template_syntax', `can't give argument to non-function ${operandText(head)}`, head.pos);
    }
    if (head.k === 'nil') throw new ParseError('template_syntax', 'nil is not a command', head.pos);
    return this.operand(head);
  }

  private operand(o: Operand): Eval {
    switch (o.k) {
      case 'field':
        return fieldPath(null, o.names);
      case 'dot':
        return (_s, d) => d;
      case 'var': {
        const slot = o.slot;
        const base: Eval = slot === -1 ? (s) => s.dollar : (s) => s.vars[slot];
        return fieldPath(base, o.names);
      }
      case 'chain':
        return fieldPath(this.operand(o.node), o.names);
      case 'pipe':
        return this.pipe(o.pipe);
      case 'func':
        // A function used as an argument is called with no arguments (Go's evalArg).
        return this.funcCall(o.name, o.pos, [], false) as Eval;
      case 'lit': {
        const v = o.value;
        return () => v;
      }
      case 'nil':
        return () => null;
    }
  }

  private funcCall(name: string, pos: number, argNodes: readonly Operand[], piped: boolean): Eval | Piped {
    const spec = this.funcs[name]!;
    const n = argNodes.length + (piped ? 1 : 0);
    if (n < spec.min || n > spec.max) {
      const want = spec.min === spec.max ? `${spec.min}` : spec.max === Infinity ? `at least ${spec.min}` : `${spec.min} to ${spec.max}`;
      throw new ParseError('template_syntax', `wrong number of args for ${name}: want ${want} got ${n}`, pos);
    }
    const args = argNodes.map((a) => this.operand(a));
    const { line, col } = this.lc(pos);
    const builtin = BUILTINS[name] === spec;
    if (builtin && (name === 'and' || name === 'or')) return shortCircuit(name === 'and', args, piped);
    const fail = (e: unknown): TemplateError => execError(e, line, col, name, builtin);
    const fn = spec.fn;
    if (spec.ctx) {
      return (s: State, d: unknown, p?: unknown) => {
        const vals: unknown[] = [s];
        for (let i = 0; i < args.length; i++) vals.push(args[i]!(s, d));
        if (piped) vals.push(p);
        try {
          return fn(...vals);
        } catch (e) {
          throw fail(e);
        }
      };
    }
    // Fixed-arity closures for the common shapes: no argument array per call.
    const [a0, a1, a2] = args as [Eval, Eval, Eval];
    if (!piped) {
      switch (args.length) {
        case 0:
          return () => {
            try {
              return fn();
            } catch (e) {
              throw fail(e);
            }
          };
        case 1:
          return (s: State, d: unknown) => {
            const x = a0(s, d);
            try {
              return fn(x);
            } catch (e) {
              throw fail(e);
            }
          };
        case 2:
          return (s: State, d: unknown) => {
            const x = a0(s, d);
            const y = a1(s, d);
            try {
              return fn(x, y);
            } catch (e) {
              throw fail(e);
            }
          };
        case 3:
          return (s: State, d: unknown) => {
            const x = a0(s, d);
            const y = a1(s, d);
            const z = a2(s, d);
            try {
              return fn(x, y, z);
            } catch (e) {
              throw fail(e);
            }
          };
      }
    } else {
      switch (args.length) {
        case 0:
          return (_s: State, _d: unknown, p: unknown) => {
            try {
              return fn(p);
            } catch (e) {
              throw fail(e);
            }
          };
        case 1:
          return (s: State, d: unknown, p: unknown) => {
            const x = a0(s, d);
            try {
              return fn(x, p);
            } catch (e) {
              throw fail(e);
            }
          };
        case 2:
          return (s: State, d: unknown, p: unknown) => {
            const x = a0(s, d);
            const y = a1(s, d);
            try {
              return fn(x, y, p);
            } catch (e) {
              throw fail(e);
            }
          };
      }
    }
    return (s: State, d: unknown, p?: unknown) => {
      const vals = new Array<unknown>(n);
      for (let i = 0; i < args.length; i++) vals[i] = args[i]!(s, d);
      if (piped) vals[n - 1] = p;
      try {
        return fn(...vals);
      } catch (e) {
        throw fail(e);
      }
    };
  }
}

/**
 * `and` / `or` evaluate arguments lazily (Go 1.18+): `{{ if and .x (index .x 0) }}` must not
 * index a missing .x. A piped value is the last operand and already evaluated.
 */
function shortCircuit(isAnd: boolean, args: Eval[], piped: boolean): Eval | Piped {
  return (s: State, d: unknown, p?: unknown) => {
    let v: unknown;
    for (let i = 0; i < args.length; i++) {
      v = args[i]!(s, d);
      if (truth(v) !== isAnd) return v;
    }
    return piped ? p : v;
  };
}

/** Merges adjacent text, drops empty text and folds `{{ "literal" }}` into text. */
function simplify(nodes: readonly Node[]): Node[] {
  const out: Node[] = [];
  for (const n of nodes) {
    let t: string | null = null;
    if (n.k === 'text') t = n.text;
    else if (n.k === 'action' && n.pipe.decl.length === 0 && n.pipe.cmds.length === 1) {
      const args = n.pipe.cmds[0]!.args;
      if (args.length === 1 && args[0]!.k === 'lit') t = toText(args[0]!.value);
    }
    if (t === null) {
      out.push(n);
      continue;
    }
    if (t === '') continue;
    const last = out[out.length - 1];
    if (last?.k === 'text') out[out.length - 1] = { k: 'text', text: last.text + t };
    else out.push({ k: 'text', text: t });
  }
  return out;
}

/** Whether running `n` can leave a pending {{break}}/{{continue}} for an enclosing range. */
function canBreak(n: Node): boolean {
  switch (n.k) {
    case 'break':
    case 'continue':
      return true;
    case 'if':
    case 'with':
      return n.list.some(canBreak) || (n.elseList?.some(canBreak) ?? false);
    case 'range':
      return n.elseList?.some(canBreak) ?? false; // the body's are consumed by this range
    default:
      return false;
  }
}

function operandText(o: Operand): string {
  switch (o.k) {
    case 'field':
      return '.' + o.names.join('.');
    case 'dot':
      return '.';
    case 'var':
      return o.name + (o.names.length ? '.' + o.names.join('.') : '');
    case 'lit':
      return typeof o.value === 'string' ? JSON.stringify(o.value) : String(o.value);
    case 'nil':
      return 'nil';
    case 'chain':
      return `(${operandText(o.node)}).${o.names.join('.')}`;
    case 'pipe':
      return '(...)';
    case 'func':
      return o.name;
  }
}

/**
 * Top-level fields the template reads from its data; '*' when the data is used whole
 * (`.` or `$` as a value, e.g. `{{ toJSON . }}` or `{{ template "x" . }}`).
 */
export function collectRoots(tree: Tree): Set<string> {
  const roots = new Set<string>();
  const operand = (o: Operand, root: boolean): void => {
    switch (o.k) {
      case 'field':
        if (root) roots.add(o.names[0]!);
        return;
      case 'dot':
        if (root) roots.add('*');
        return;
      case 'var':
        // Only the main template's `$` is the render data; a {{define}}'s `$` is its argument.
        if (o.slot === -1) roots.add(o.names[0] ?? '*');
        return;
      case 'chain':
        operand(o.node, root);
        return;
      case 'pipe':
        pipe(o.pipe, root);
        return;
      default:
        return;
    }
  };
  const pipe = (p: Pipe, root: boolean): void => {
    for (const c of p.cmds) for (const a of c.args) operand(a, root);
  };
  const list = (nodes: readonly Node[], root: boolean): void => {
    for (const n of nodes) {
      switch (n.k) {
        case 'action':
          pipe(n.pipe, root);
          break;
        case 'if':
          pipe(n.pipe, root);
          list(n.list, root);
          if (n.elseList) list(n.elseList, root);
          break;
        case 'with':
        case 'range':
          pipe(n.pipe, root);
          list(n.list, false);
          if (n.elseList) list(n.elseList, root);
          break;
        case 'template':
          if (n.pipe) pipe(n.pipe, root);
          break;
        default:
          break;
      }
    }
  };
  list(tree.main.list, true);
  return roots;
}

export interface CompiledTemplate {
  render: (data: unknown, opts?: RenderOptions) => string;
  constant: string | null;
}

/** Compiles a parsed tree; throws ParseError for compile-time errors found here (arity, non-functions). */
export function compileTree(source: string, tree: Tree, funcs: Readonly<Record<string, FuncSpec>>): CompiledTemplate {
  const c = new Compiler(source, tree, funcs);
  const main = c.main();
  c.compileDefines();
  if (main.constant !== null) {
    const text = main.constant;
    return { render: () => text, constant: text };
  }
  const { exec, frameSize } = main;
  const render = (data: unknown, opts?: RenderOptions): string => {
    const s = new State(data, frameSize > 0 ? new Array(frameSize) : NO_VARS, opts ?? DEFAULT_OPTS);
    try {
      exec(s, data);
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      // e.g. a stack overflow in deeply nested data: still a TemplateError for callers.
      throw new TemplateError('template_exec', `internal error: ${e instanceof Error ? e.message : String(e)}`, 1, 1);
    }
    return s.out;
  };
  return { render, constant: null };
}
