/**
 * Parser for Go text/template (text/template/parse/parse.go) producing a small AST.
 *
 * Variables are resolved here, not at run time: every `$x :=` gets a slot in its template's
 * frame, and every use or `$x =` is bound to the slot of the declaration in scope. The compiled
 * closures then read `vars[slot]` instead of searching a name stack as Go's exec does.
 */
import { ParseError } from './errors.ts';
import { lex, type Token, type TokenKind } from './lexer.ts';

export type Operand =
  /** `.a.b` on dot. */
  | { k: 'field'; pos: number; names: string[] }
  | { k: 'dot'; pos: number }
  /** `$x.a.b`; slot -1 is `$` (the frame's root). */
  | { k: 'var'; pos: number; name: string; slot: number; names: string[] }
  /** `(pipeline).a.b` or `fn.a` */
  | { k: 'chain'; pos: number; node: Operand; names: string[] }
  | { k: 'pipe'; pos: number; pipe: Pipe }
  | { k: 'func'; pos: number; name: string }
  | { k: 'lit'; pos: number; value: string | number | boolean }
  | { k: 'nil'; pos: number };

export interface Command {
  pos: number;
  args: Operand[];
}

export interface VarDecl {
  name: string;
  slot: number;
  pos: number;
}

export interface Pipe {
  pos: number;
  decl: VarDecl[];
  /** `$x = ...` (assign to an existing variable) rather than `$x := ...`. */
  assign: boolean;
  cmds: Command[];
}

/** if / with / range: `elseList` is null without {{else}}. */
export interface ControlNode {
  k: 'if' | 'with' | 'range';
  pos: number;
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | null;
}

export type Node =
  | { k: 'text'; text: string }
  | { k: 'action'; pos: number; pipe: Pipe }
  | ControlNode
  | { k: 'template'; pos: number; name: string; pipe: Pipe | null }
  | { k: 'break' | 'continue'; pos: number };

export interface TemplateDef {
  name: string;
  pos: number;
  list: Node[];
  /** Number of variable slots the template's frame needs (excluding `$`). */
  frameSize: number;
}

export interface Tree {
  main: TemplateDef;
  defs: Map<string, TemplateDef>;
}

/** Nesting limit for parentheses and control structures: keeps the parser's recursion bounded. */
const MAX_DEPTH = 100;

type Terminator = { kind: 'end' | 'else' | 'eof'; pos: number };

class Parser {
  private i = 0;
  private vars: { name: string; slot: number }[] = [];
  private frameSize = 0;
  private rangeDepth = 0;
  private depth = 0;
  private readonly defs = new Map<string, TemplateDef>();
  private readonly templateRefs: { name: string; pos: number }[] = [];

  constructor(
    private readonly toks: Token[],
    private readonly hasFunc: (name: string) => boolean,
  ) {}

  parse(): Tree {
    const { list, term } = this.list(true);
    if (term.kind !== 'eof') throw this.err(`unexpected {{${term.kind}}}`, term.pos);
    const main: TemplateDef = { name: '', pos: 0, list, frameSize: this.frameSize };
    for (const ref of this.templateRefs) {
      if (!this.defs.has(ref.name)) throw this.err(`no such template ${JSON.stringify(ref.name)}`, ref.pos);
    }
    return { main, defs: this.defs };
  }

  // --- token helpers ---

  private peek(): Token {
    return this.toks[this.i]!;
  }

  private peekAt(n: number): Token {
    return this.toks[Math.min(this.i + n, this.toks.length - 1)]!;
  }

  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.kind === 'error') throw this.err(String(t.value), t.pos);
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  private err(reason: string, pos: number, code: ParseError['code'] = 'template_syntax'): ParseError {
    return new ParseError(code, reason, pos);
  }

  private unexpected(t: Token, context: string): ParseError {
    if (t.kind === 'error') return this.err(String(t.value), t.pos);
    return this.err(`unexpected ${describe(t)} in ${context}`, t.pos);
  }

  private expectClose(context: string): void {
    const t = this.next();
    if (t.kind !== 'close') throw this.unexpected(t, context);
  }

  // --- lists and actions ---

  /** Parses nodes up to `{{end}}`, `{{else` (left pending after the keyword) or EOF. */
  private list(top: boolean): { list: Node[]; term: Terminator } {
    const list: Node[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'error') this.next();
      if (t.kind === 'eof') return { list, term: { kind: 'eof', pos: t.pos } };
      if (t.kind === 'text') {
        this.next();
        list.push({ k: 'text', text: t.text });
        continue;
      }
      // t is `{{`
      const open = this.next();
      const kw = this.peek();
      switch (kw.kind) {
        case 'end':
          this.next();
          this.expectClose('end');
          return { list, term: { kind: 'end', pos: open.pos } };
        case 'else':
          this.next();
          return { list, term: { kind: 'else', pos: open.pos } };
        case 'define':
          if (!top) throw this.err('{{define}} must be at top level', open.pos);
          this.next();
          this.define(open.pos, null);
          continue;
        default:
          list.push(this.action(open.pos));
      }
    }
  }

  private action(pos: number): Node {
    const kw = this.peek();
    switch (kw.kind) {
      case 'if':
      case 'with':
      case 'range':
        this.next();
        return this.control(kw.kind, pos);
      case 'block': {
        this.next();
        const name = this.templateName('block');
        const pipe = this.pipeline('block', 'close');
        this.define(pos, name);
        this.templateRefs.push({ name, pos });
        return { k: 'template', pos, name, pipe };
      }
      case 'template': {
        this.next();
        const name = this.templateName('template clause');
        const pipe = this.peek().kind === 'close' ? (this.next(), null) : this.pipeline('template clause', 'close');
        this.templateRefs.push({ name, pos });
        return { k: 'template', pos, name, pipe };
      }
      case 'break':
      case 'continue': {
        this.next();
        this.expectClose(`{{${kw.kind}}}`);
        if (this.rangeDepth === 0) throw this.err(`{{${kw.kind}}} outside {{range}}`, pos);
        return { k: kw.kind, pos };
      }
      default:
        return { k: 'action', pos, pipe: this.pipeline('command', 'close') };
    }
  }

  private templateName(context: string): string {
    const t = this.next();
    if (t.kind !== 'string') throw this.unexpected(t, context);
    return t.value as string;
  }

  /** `{{define "name"}}` (name null: read it) or the body of `{{block "name" ...}}`. */
  private define(pos: number, blockName: string | null): void {
    const name = blockName ?? this.templateName('define clause');
    if (blockName === null) this.expectClose('define clause');
    // A template body is its own frame: Go starts `{{template}}` with only `$` defined.
    const saved = { vars: this.vars, frameSize: this.frameSize, rangeDepth: this.rangeDepth };
    this.vars = [];
    this.frameSize = 0;
    this.rangeDepth = 0;
    this.enter(pos);
    const { list, term } = this.list(false);
    this.depth--;
    if (term.kind === 'eof') throw this.err(`missing {{end}} for {{${blockName === null ? 'define' : 'block'}}}`, pos);
    if (term.kind === 'else') throw this.err('unexpected {{else}}', term.pos);
    const def: TemplateDef = { name, pos, list, frameSize: this.frameSize };
    Object.assign(this, saved);
    const prev = this.defs.get(name);
    // As Go's (*Tree).add: an empty definition may be replaced, two non-empty ones conflict.
    if (prev && !isEmpty(prev.list) && !isEmpty(list)) {
      throw this.err(`multiple definition of template ${JSON.stringify(name)}`, pos);
    }
    if (!prev || isEmpty(prev.list)) this.defs.set(name, def);
  }

  private enter(pos: number): void {
    if (++this.depth > MAX_DEPTH) throw this.err('template nested too deeply', pos);
  }

  private control(kind: 'if' | 'with' | 'range', pos: number): Node {
    const mark = this.vars.length;
    this.enter(pos);
    const pipe = this.pipeline(kind, 'close');
    if (kind === 'range') this.rangeDepth++;
    const body = this.list(false);
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | null = null;
    let term = body.term;
    if (term.kind === 'else') {
      const after = this.peek();
      // `{{else if}}` / `{{else with}}` is `{{else}}{{if}}...{{end}}{{end}}` sharing one {{end}}.
      if ((kind === 'if' && after.kind === 'if') || (kind === 'with' && after.kind === 'with')) {
        this.next();
        elseList = [this.control(kind, term.pos)];
        term = { kind: 'end', pos: term.pos };
      } else {
        this.expectClose('else');
        const alt = this.list(false);
        elseList = alt.list;
        if (alt.term.kind === 'else') throw this.err('expected end; found {{else}}', alt.term.pos);
        term = alt.term;
      }
    }
    if (term.kind === 'eof') throw this.err(`missing {{end}} for {{${kind}}}`, pos);
    this.vars.length = mark;
    this.depth--;
    return { k: kind, pos, pipe, list: body.list, elseList };
  }

  // --- pipelines ---

  private pipeline(context: string, end: 'close' | 'rparen'): Pipe {
    const start = this.peek();
    const decl: VarDecl[] = [];
    let assign = false;
    // Declarations: `$x :=`, `$x =`, and in range `$i, $v :=`.
    if (start.kind === 'var') {
      const names: Token[] = [start];
      let k = 1;
      if (this.peekAt(1).kind === 'comma' && this.peekAt(2).kind === 'var') {
        names.push(this.peekAt(2));
        k = 3;
      }
      const op = this.peekAt(k);
      if (op.kind === 'declare' || op.kind === 'assign') {
        if (names.length > 1 && context !== 'range') throw this.err(`too many declarations in ${context}`, start.pos);
        this.i += k + 1;
        assign = op.kind === 'assign';
        for (const t of names) {
          if (!assign && t.text === '$') throw this.err('cannot declare $', t.pos);
          if (assign) {
            const slot = this.lookupVar(t);
            decl.push({ name: t.text, slot, pos: t.pos });
          } else {
            decl.push({ name: t.text, slot: -2, pos: t.pos }); // slot assigned after the commands
          }
        }
      } else if (this.peekAt(1).kind === 'comma') {
        throw this.err(context === 'range' ? 'range can only initialize variables' : `too many declarations in ${context}`, start.pos);
      }
    }
    const cmds: Command[] = [];
    for (;;) {
      cmds.push(this.command(end));
      const t = this.peek();
      if (t.kind === 'pipe') {
        this.next();
        continue;
      }
      this.next(); // the `end` token, checked by command()
      break;
    }
    if (cmds.length === 1 && cmds[0]!.args.length === 0) {
      throw this.err(`missing value for ${context}`, start.pos);
    }
    for (let c = 0; c < cmds.length; c++) {
      const cmd = cmds[c]!;
      if (cmd.args.length === 0) throw this.err('missing command', cmd.pos);
      const first = cmd.args[0]!;
      if (c > 0 && (first.k === 'lit' || first.k === 'nil' || first.k === 'dot')) {
        throw this.err(`non executable command in pipeline stage ${c + 1}`, first.pos);
      }
    }
    // New variables come into scope after their initializer (Go would accept `$x := $x`
    // at parse time and fail at run time).
    if (!assign) {
      for (const d of decl) {
        d.slot = this.frameSize++;
        this.vars.push({ name: d.name, slot: d.slot });
      }
    }
    return { pos: start.pos, decl, assign, cmds };
  }

  private command(end: 'close' | 'rparen'): Command {
    const cmd: Command = { pos: this.peek().pos, args: [] };
    for (;;) {
      const t = this.peek();
      if (t.kind === end || t.kind === 'pipe') return cmd;
      if (t.kind === 'close' || t.kind === 'rparen' || t.kind === 'eof') throw this.unexpected(t, 'operand');
      if (cmd.args.length > 0 && !t.sp) throw this.unexpected(t, 'operand');
      const op = this.operand();
      if (!op) throw this.unexpected(this.peek(), 'operand');
      cmd.args.push(op);
    }
  }

  private operand(): Operand | null {
    const node = this.term();
    if (!node) return null;
    let t = this.peek();
    if (t.kind !== 'field' || t.sp) return node;
    const names: string[] = [];
    while (t.kind === 'field' && !t.sp) {
      names.push(this.next().value as string);
      t = this.peek();
    }
    switch (node.k) {
      case 'field':
      case 'var':
        node.names.push(...names);
        return node;
      case 'lit':
      case 'nil':
      case 'dot':
        throw this.err(`unexpected . after term ${JSON.stringify(termText(node))}`, node.pos);
      default:
        return { k: 'chain', pos: node.pos, node, names };
    }
  }

  private term(): Operand | null {
    const t = this.peek();
    switch (t.kind) {
      case 'ident':
        this.next();
        if (!this.hasFunc(t.text)) {
          throw this.err(`unknown function ${JSON.stringify(t.text)}`, t.pos, 'template_unknown_function');
        }
        return { k: 'func', pos: t.pos, name: t.text };
      case 'dot':
        this.next();
        return { k: 'dot', pos: t.pos };
      case 'nil':
        this.next();
        return { k: 'nil', pos: t.pos };
      case 'var':
        this.next();
        return { k: 'var', pos: t.pos, name: t.text, slot: this.lookupVar(t), names: [] };
      case 'field':
        this.next();
        return { k: 'field', pos: t.pos, names: [t.value as string] };
      case 'bool':
      case 'number':
      case 'string':
        this.next();
        return { k: 'lit', pos: t.pos, value: t.value as string | number | boolean };
      case 'lparen': {
        this.next();
        this.enter(t.pos);
        const pipe = this.pipeline('parenthesized pipeline', 'rparen');
        this.depth--;
        return { k: 'pipe', pos: t.pos, pipe };
      }
      case 'error':
        this.next();
        return null;
      default:
        return null;
    }
  }

  private lookupVar(t: Token): number {
    if (t.text === '$') return -1;
    for (let v = this.vars.length - 1; v >= 0; v--) {
      if (this.vars[v]!.name === t.text) return this.vars[v]!.slot;
    }
    throw this.err(`undefined variable ${JSON.stringify(t.text)}`, t.pos);
  }
}

const KEYWORD_KINDS: ReadonlySet<TokenKind> = new Set([
  'if',
  'else',
  'end',
  'range',
  'with',
  'define',
  'template',
  'block',
  'break',
  'continue',
]);

/** A token as Go's item.String() shows it in messages. */
function describe(t: Token): string {
  if (t.kind === 'eof') return 'EOF';
  if (KEYWORD_KINDS.has(t.kind)) return `<${t.kind}>`;
  return t.text.length > 10 ? `${JSON.stringify(t.text.slice(0, 10))}...` : JSON.stringify(t.text);
}

function termText(o: Operand): string {
  if (o.k === 'lit') return typeof o.value === 'string' ? JSON.stringify(o.value) : String(o.value);
  return o.k === 'nil' ? 'nil' : '.';
}

function isEmpty(list: Node[]): boolean {
  return list.every((n) => n.k === 'text' && n.text.trim() === '');
}

/** Parses `source`; throws ParseError. `hasFunc` tells which identifiers are functions. */
export function parse(source: string, hasFunc: (name: string) => boolean): Tree {
  return new Parser(lex(source), hasFunc).parse();
}
