/**
 * Loading config documents: YAML text → typed `McpConfig` + issues with file, line, column and path.
 *
 * Strict on purpose (Caddy rejects unknown fields): one document per file, no duplicate keys, bounded
 * alias expansion, every schema violation reported at the offending node. The raw YAML text is never
 * rewritten (no `${VAR}` expansion as in the seed system): values reach the gateway only through the
 * parsed tree, and environment variables only through the template `env` function and its allowlist.
 *
 * Fast on purpose too, as reloads block the gateway's event loop: a reload parses only the files that
 * changed (`LoadCache`), plain documents are read with Bun's native parser once a scan has shown that
 * it reads them exactly as the `yaml` library would (see "Fast path"), and positions are parsed only
 * for documents that have something to report.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import {
  type Document,
  type EmptyStream,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
  type ParsedNode,
  type Scalar,
  visit,
} from 'yaml';
import { type ConfigIssue, compareIssues, didYouMean, formatPath, type PathSegment } from './issues.ts';
import { Duration, HTTP_METHODS, McpConfig } from './schema.ts';

/** A document that passed YAML parsing and schema validation. */
export interface LoadedConfig {
  /** Path relative to the repo root, forward slashes: `configs/<tenant>/<name>.yaml`. */
  file: string;
  doc: McpConfig;
  /** The file's text, unchanged (hashing, display, re-parsing for positions). */
  text: string;
  /** Positions of the parsed nodes (the loader's are parsed on first use); re-created from `text` when absent. */
  source?: YamlSource;
}

/** What `loadConfigDir` found: the documents that parsed, every issue, and the number of YAML files read. */
export interface LoadResult {
  configs: LoadedConfig[];
  issues: ConfigIssue[];
  files: number;
}

/** Aliases are legitimate (shared header maps) but each one copies a subtree; cap the copies (billion laughs). */
export const MAX_ALIAS_COUNT = 100;
/** A config document is a few kilobytes; anything this large is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

const CONFIG_EXTENSION = /\.ya?ml$/;

// ---------------------------------------------------------------------------------------------------
// Positions

/** 1-based line and column. */
export interface Position {
  line: number;
  col: number;
}

/**
 * One parsed YAML document with position lookups by document path. Paths follow the parsed value:
 * map keys as strings, list indexes as numbers. A path that goes through an alias continues in the
 * anchored node (where an edit inside it has to go); an alias at the end of a path is reported
 * where it is written.
 */
export class YamlSource {
  private parsed: { document: Document.Parsed | undefined; lines: LineCounter } | undefined;

  constructor(
    readonly text: string,
    document?: Document.Parsed,
    lines?: LineCounter,
  ) {
    if (lines) this.parsed = { document, lines };
  }

  /**
   * A source whose YAML tree is built on first use. Documents that load without an issue need
   * positions only if validation finds something to report, and then only for that document.
   */
  static lazy(text: string): YamlSource {
    return new YamlSource(text);
  }

  /** The parsed document (the first one of the file); undefined for a file too large to parse. */
  get document(): Document.Parsed | undefined {
    return this.tree().document;
  }

  private get lines(): LineCounter {
    return this.tree().lines;
  }

  private tree(): { document: Document.Parsed | undefined; lines: LineCounter } {
    if (this.parsed) return this.parsed;
    const lines = new LineCounter();
    if (this.text.length > MAX_CONFIG_BYTES) return (this.parsed = { document: undefined, lines });
    const parsed = parseDocuments(this.text, lines);
    return (this.parsed = { document: 'empty' in parsed ? undefined : parsed[0], lines });
  }

  /** Line and column of a character offset. */
  pos(offset: number): Position {
    const p = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { line: p.line, col: p.col };
  }

  private resolve(node: unknown): unknown {
    if (isAlias(node) && this.document) return node.resolve(this.document) ?? node;
    return node;
  }

  /**
   * Walks `path` as far as the document goes. Returns the deepest node reached, the pair holding it
   * (when it is a map value) and how many segments were matched.
   */
  private walk(path: readonly PathSegment[]): { node: unknown; pair?: Pair; matched: number } {
    let node: unknown = this.document?.contents ?? null;
    let pair: Pair | undefined;
    let matched = 0;
    for (const segment of path) {
      const current = this.resolve(node);
      let next: unknown;
      let nextPair: Pair | undefined;
      if (isMap(current)) {
        for (const item of current.items) {
          if (isPair(item) && keyString(this.resolve(item.key)) === String(segment)) {
            nextPair = item;
            next = item.value;
            break;
          }
        }
        if (!nextPair) break;
      } else if (isSeq(current) && typeof segment === 'number') {
        next = current.items[segment];
        if (next === undefined) break;
      } else break;
      node = next;
      pair = nextPair;
      matched++;
    }
    return pair ? { node, pair, matched } : { node, matched };
  }

  /**
   * Position of the node at `path`: its value, or its key with `target: 'key'`. Falls back to the
   * nearest ancestor that exists, and to the key when the value is empty (`endpoint:` with nothing).
   */
  locate(path: readonly PathSegment[], target: 'key' | 'value' = 'value'): Position {
    const { node, pair, matched } = this.walk(path);
    const complete = matched === path.length;
    const keyNode = pair && isNodeWithRange(pair.key) ? pair.key : undefined;
    if (complete && target === 'key' && keyNode) return this.pos(keyNode.range![0]);
    const emptyValue = isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1];
    if (isNodeWithRange(node) && !emptyValue) return this.pos(node.range![0]);
    if (keyNode) return this.pos(keyNode.range![0]);
    return { line: 1, col: 1 };
  }

  /** The scalar node at `path` (following aliases), if that is what is there. */
  scalar(path: readonly PathSegment[]): Scalar | undefined {
    const { node, matched } = this.walk(path);
    if (matched !== path.length) return undefined;
    const value = this.resolve(node);
    return isScalar(value) ? value : undefined;
  }

  /**
   * Maps a position inside a string value (1-based line and column of the template source) to the
   * file. Exact for block scalars (`|`, `|-`) and single-line plain or quoted scalars, including
   * escapes; an approximation for folded and multi-line flow scalars.
   */
  mapInString(path: readonly PathSegment[], line: number, col: number): Position {
    const node = this.scalar(path);
    if (!node || !node.range) return this.locate(path);
    const start = node.range[0];
    const value = typeof node.value === 'string' ? node.value : String(node.value);
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
      const header = this.pos(start);
      const indent = blockIndent(this.text, start, node.range[1]);
      return { line: header.line + line, col: indent + col };
    }
    const lines = value.split('\n');
    let index = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) index += (lines[i]?.length ?? 0) + 1;
    index += col - 1;
    return this.pos(flowOffset(this.text, start, node.range[1], node.type, index));
  }

  /**
   * Path of the innermost map or list containing `offset`, used to give YAML-level errors (such as a
   * duplicate key) a document path.
   */
  pathAt(offset: number): PathSegment[] {
    const path: PathSegment[] = [];
    let node: unknown = this.document?.contents ?? null;
    for (;;) {
      if (isMap(node)) {
        let next: { seg: PathSegment; node: unknown } | undefined;
        for (const item of node.items) {
          const v = item.value;
          if (isNodeWithRange(v) && (isMap(v) || isSeq(v)) && v.range![0] <= offset && offset < v.range![2]) {
            next = { seg: keyString(item.key), node: v };
            break;
          }
        }
        if (!next) return path;
        path.push(next.seg);
        node = next.node;
      } else if (isSeq(node)) {
        const i = node.items.findIndex(
          (v) => isNodeWithRange(v) && (isMap(v) || isSeq(v)) && v.range![0] <= offset && offset < v.range![2],
        );
        if (i < 0) return path;
        path.push(i);
        node = node.items[i];
      } else return path;
    }
  }
}

function isNodeWithRange(node: unknown): node is Node {
  return typeof node === 'object' && node !== null && Array.isArray((node as Node).range);
}

function keyString(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** Indentation of a block scalar's content: the explicit indicator, else the first non-blank line's. */
function blockIndent(text: string, start: number, end: number): number {
  const headerEnd = text.indexOf('\n', start);
  if (headerEnd < 0) return 0;
  const header = text.slice(start, headerEnd);
  const explicit = /[1-9]/.exec(header.replace(/#.*$/, ''));
  if (explicit) {
    // The indicator is relative to the parent's indentation: the line holding the header.
    const lineStart = text.lastIndexOf('\n', start) + 1;
    const parentIndent = /^ */.exec(text.slice(lineStart, start))?.[0].length ?? 0;
    return parentIndent + Number(explicit[0]);
  }
  let i = headerEnd + 1;
  while (i < end) {
    const nl = text.indexOf('\n', i);
    const lineEnd = nl < 0 || nl > end ? end : nl;
    const line = text.slice(i, lineEnd);
    if (line.trim() !== '') return /^ */.exec(line)?.[0].length ?? 0;
    i = lineEnd + 1;
  }
  return 0;
}

/** Offset in the file of character `target` of a flow scalar's value (line folding and escapes undone). */
function flowOffset(text: string, start: number, end: number, type: Scalar['type'], target: number): number {
  const quoted = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE';
  let i = start + (quoted ? 1 : 0);
  let k = 0;
  while (i < end && k < target) {
    const ch = text[i];
    if (ch === '\n' || ch === ' ' || ch === '\t' || ch === '\r') {
      let j = i;
      let newlines = 0;
      while (j < end && /[ \t\r\n]/.test(text[j] ?? '')) {
        if (text[j] === '\n') newlines++;
        j++;
      }
      if (newlines > 0) {
        // A line break folds into one space; n breaks keep n-1 newlines.
        k += newlines > 1 ? newlines - 1 : 1;
        i = j;
        continue;
      }
    }
    if (type === 'QUOTE_DOUBLE' && ch === '\\') {
      const next = text[i + 1];
      i += next === 'x' ? 4 : next === 'u' ? 6 : next === 'U' ? 10 : 2;
      k++;
      continue;
    }
    if (type === 'QUOTE_SINGLE' && ch === "'" && text[i + 1] === "'") {
      i += 2;
      k++;
      continue;
    }
    i++;
    k++;
  }
  return i;
}

// ---------------------------------------------------------------------------------------------------
// YAML

/** The result of parsing one YAML file: its value (when it parsed) and the positions of its nodes. */
export interface ParsedYaml {
  value?: unknown;
  source: YamlSource;
  issues: ConfigIssue[];
}

/** Options of `parseYaml`. */
export interface ParseYamlOptions {
  /** What an empty file (or one holding only comments) means: an error with this message (the default), or `null`. */
  empty?: { error: string } | 'null';
}

const EMPTY_CONFIG = { error: 'empty document (expected a map with at least "name" and "tenant")' };

/**
 * Parses one YAML document. Multi-document files, duplicate keys, syntax errors, excessive alias
 * expansion and empty files are errors; unknown tags are warnings. `value` is set only without errors.
 */
export function parseYaml(file: string, text: string, options: ParseYamlOptions = {}): ParsedYaml {
  const empty = options.empty ?? EMPTY_CONFIG;
  const lines = new LineCounter();
  const issue = (offset: number, message: string, severity: ConfigIssue['severity'] = 'error', path = ''): ConfigIssue => {
    const p = source.pos(offset);
    return { file, line: p.line, col: p.col, path, message, severity };
  };
  if (text.length > MAX_CONFIG_BYTES) {
    const source = new YamlSource(text, undefined, lines);
    return { source, issues: [issue(0, `file is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`)] };
  }
  const parsed = parseDocuments(text, lines);
  const docs: Document.Parsed[] = 'empty' in parsed ? [] : parsed;
  const first = docs[0];
  const source = new YamlSource(text, first, lines);
  const issues: ConfigIssue[] = [];

  if ('empty' in parsed) {
    for (const e of parsed.errors) issues.push(issue(e.pos[0], `invalid YAML: ${yamlMessage(e.message)}`));
  }
  if (docs.length > 1) {
    const second = docs[1]!;
    issues.push(issue(second.range[0], 'multiple YAML documents in one file (a config file holds exactly one document)'));
  }
  for (const doc of docs.slice(0, 1)) {
    for (const e of doc.errors) {
      if (e.code === 'DUPLICATE_KEY') {
        const key = keyAt(doc, e.pos[0]) ?? text.slice(e.pos[0], e.pos[1]);
        issues.push(issue(e.pos[0], `duplicate key ${JSON.stringify(key)}`, 'error', formatPath(source.pathAt(e.pos[0]))));
      } else {
        issues.push(issue(e.pos[0], `invalid YAML: ${yamlMessage(e.message)}`));
      }
    }
    for (const w of doc.warnings) {
      const message = w.code === 'TAG_RESOLVE_FAILED' ? `unknown YAML tag ${JSON.stringify(text.slice(w.pos[0], w.pos[1]).trim())}; the value is read as a string` : yamlMessage(w.message);
      issues.push(issue(w.pos[0], message, 'warning'));
    }
  }
  if (issues.some((i) => i.severity === 'error')) return { source, issues: dedupeByPlace(issues) };
  if (!first || first.contents === null || (isScalar(first.contents) && first.contents.value === null)) {
    if (empty === 'null') return { value: null, source, issues };
    issues.push(issue(0, empty.error));
    return { source, issues };
  }
  try {
    const value = first.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    return { value, source, issues };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const offset = aliasOffset(first);
    if (/excessive alias count/i.test(message)) {
      issues.push(issue(offset, `too many YAML alias expansions (more than ${MAX_ALIAS_COUNT}); write the values out instead`));
    } else {
      issues.push(issue(offset, `invalid YAML: ${yamlMessage(message)}`));
    }
    return { source, issues };
  }
}

/** The `yaml` library's parse with the options every config file is read with. */
function parseDocuments(text: string, lines: LineCounter): Document.Parsed[] | EmptyStream {
  return parseAllDocuments<ParsedNode, true>(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
}

/** Offset of the first unresolvable alias, else of the first alias, else 0. */
function aliasOffset(doc: Document.Parsed): number {
  let first: number | undefined;
  let unresolved: number | undefined;
  visit(doc, {
    Alias(_, node) {
      const start = node.range?.[0] ?? 0;
      first ??= start;
      if (unresolved === undefined && node.resolve(doc) === undefined) unresolved = start;
    },
  });
  return unresolved ?? first ?? 0;
}

function yamlMessage(message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  return firstLine.charAt(0).toLowerCase() + firstLine.slice(1);
}

/** The key written at `offset` (YAML reports a duplicate key by its first character only). */
function keyAt(doc: Document.Parsed, offset: number): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        found = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function dedupeByPlace(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.col}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------------
// Fast path

/*
 * The `yaml` library builds a full syntax tree with positions: a few milliseconds per document, most
 * of a reload (bench/reload.ts). Bun's native parser is 20 to 30 times faster, but it keeps the last of
 * duplicate keys, does not cap alias expansion, resolves merge keys (`<<`), ignores unknown tags and
 * gives no positions. So it is only used for a text that a conservative scan shows to be free of all
 * of that:
 *
 * - no anchors, aliases, tags, merge keys, directives, document markers, explicit (`?`) keys, null or
 *   over-long keys, multi-line plain or quoted scalars, tabs outside block scalars, odd control
 *   characters; indentation that opens and closes block collections consistently;
 * - as many mapping keys written in the text as the parsed value holds: a duplicate key (in a block or
 *   a flow mapping) makes the value hold fewer, and the text takes the slow path, which reports it.
 *
 * Anything the scan does not fully understand takes the slow path too, as does a text that Bun refuses
 * or whose value fails the schema: their issues need the `yaml` library's positions and messages. For
 * what it accepts, both parsers read YAML 1.2 core-schema scalars alike (load.test.ts compares them on a
 * corpus of scalars, escapes, block scalars and flow collections, and on mutations of every fixture).
 */

const bunYaml = (globalThis as { Bun?: { YAML?: { parse(text: string): unknown } } }).Bun?.YAML;

/** Control characters YAML treats specially or that the two parsers might read differently (and a BOM). */
const ODD_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u0085\u2028\u2029\ufeff]|\r(?!\n)/;
/** Longest key accepted on the fast path; YAML caps implicit keys at 1024 characters. */
const MAX_FAST_KEY = 1000;

const TAB = 9;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const APOSTROPHE = 39;
const PLUS = 43;
const COMMA = 44;
const DASH = 45;
const COLON = 58;
const QUESTION = 63;
const OPEN_BRACKET = 91;
const BACKSLASH = 92;
const CLOSE_BRACKET = 93;
const OPEN_BRACE = 123;
const PIPE = 124;
const CLOSE_BRACE = 125;
const GREATER = 62;

/**
 * The value of a config text read with Bun's YAML parser, when the text is plain enough for that to be
 * exactly what the `yaml` library would read without any issue; undefined otherwise.
 */
export function fastParseYaml(text: string): Record<string, unknown> | undefined {
  if (!bunYaml || text.length > MAX_CONFIG_BYTES || ODD_CHARACTERS.test(text)) return undefined;
  const keys = plainKeyCount(text);
  if (keys === undefined) return undefined;
  let value: unknown;
  try {
    value = bunYaml.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return countKeys(value) === keys ? (value as Record<string, unknown>) : undefined;
}

/** Keys of every map in a parsed value (a tree: the fast path has no aliases). */
function countKeys(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += countKeys(item);
    return n;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return Number.NaN;
  for (const key of Object.keys(value)) n += 1 + countKeys((value as Record<string, unknown>)[key]);
  return n;
}

/** `&*!|>%@`,[]{}#"'`: cannot start a plain scalar, or start a construct the fast path leaves alone. */
function notPlainStart(c: number): boolean {
  return (
    c === 38 || c === 42 || c === 33 || c === PIPE || c === GREATER || c === 37 || c === 64 || c === 96 || c === HASH || c === QUOTE || c === APOSTROPHE || isFlowIndicator(c)
  );
}

function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === OPEN_BRACKET || c === CLOSE_BRACKET || c === OPEN_BRACE || c === CLOSE_BRACE;
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Whether `text[start, end)` may be a mapping key on the fast path (for a quoted key: what is between the quotes). */
function acceptableKey(text: string, start: number, end: number, quoted: boolean): boolean {
  const length = end - start;
  if (length === 0 || length > MAX_FAST_KEY) return false;
  const c = text.charCodeAt(start);
  // `<<` (a merge key for Bun) and `__proto__` (not an own property of a JS object).
  if (c === 60 && length === 2 && text.charCodeAt(start + 1) === 60) return false;
  if (c === 95 && length === 9 && text.startsWith('__proto__', start)) return false;
  if (quoted) {
    for (let j = start; j < end; j++) if (text.charCodeAt(j) === BACKSLASH) return false;
    return true;
  }
  // Null keys: the yaml library reads them as "", Bun as "null".
  if (c === 126 && length === 1) return false;
  if ((c === 110 || c === 78) && length === 4) {
    const word = text.slice(start, end);
    return word !== 'null' && word !== 'Null' && word !== 'NULL';
  }
  return true;
}

/** After the closing quote of a double-quoted scalar starting at `i`; -1 when it does not close before `end` or has an unknown escape. */
function doubleQuotedEnd(text: string, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) return j + 1;
    if (c !== BACKSLASH) continue;
    if (j + 1 >= end || !'0abt\tnvfre "/\\N_LPxuU'.includes(text[j + 1]!)) return -1;
    const e = text[j + 1];
    const hex = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    for (let k = j + 2; k < j + 2 + hex; k++) if (k >= end || !isHexDigit(text.charCodeAt(k))) return -1;
    j += 1 + hex;
  }
  return -1;
}

/** After the closing quote of a single-quoted scalar starting at `i`; -1 when it does not close before `end`. */
function singleQuotedEnd(text: string, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    if (text.charCodeAt(j) !== APOSTROPHE) continue;
    if (j + 1 < end && text.charCodeAt(j + 1) === APOSTROPHE) j++;
    else return j + 1;
  }
  return -1;
}

/** True when only spaces, or spaces then a comment, come from `i` to `end`. */
function restIsBlank(text: string, i: number, end: number): boolean {
  let j = i;
  while (j < end && text.charCodeAt(j) === SPACE) j++;
  return j === end || (text.charCodeAt(j) === HASH && j > i);
}

interface FlowFrame {
  closer: number;
  /** entry: a node or the end may come; afterNode: `:`, `,` or the end; value: the value of a pair; afterValue: `,` or the end. */
  state: 'entry' | 'afterNode' | 'value' | 'afterValue';
  /** The node just read in `afterNode` (between the quotes when quoted); keyStart -1 when it was a collection. */
  keyStart: number;
  keyEnd: number;
  keyQuoted: boolean;
}

/** A flow collection being scanned, possibly over several lines. */
interface FlowScan {
  frames: FlowFrame[];
  keys: number;
  /** Column of the node holding the collection: continuation lines must be indented more. */
  parent: number;
}

function frameKey(text: string, frame: FlowFrame): boolean {
  return frame.keyStart >= 0 && acceptableKey(text, frame.keyStart, frame.keyEnd, frame.keyQuoted);
}

/**
 * Scans flow collection text from `i` to the line's `end`; returns the index after the outermost
 * closing bracket, -1 when the collection continues on the next line, or undefined for anything the
 * fast path leaves alone.
 */
function scanFlow(text: string, i: number, end: number, flow: FlowScan): number | undefined {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === SPACE) {
      i++;
      continue;
    }
    if (c === HASH) {
      // A comment ends the line; the state check below applies as at the end of the line.
      if (text.charCodeAt(i - 1) !== SPACE) return undefined;
      break;
    }
    const frame = flow.frames[flow.frames.length - 1]!;
    if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      if (frame.state === 'value' || c !== frame.closer) return undefined;
      if (frame.state === 'afterNode' && frame.closer === CLOSE_BRACE) {
        if (!frameKey(text, frame)) return undefined;
        flow.keys++;
      }
      flow.frames.pop();
      i++;
      const parent = flow.frames[flow.frames.length - 1];
      if (!parent) return i;
      if (parent.state === 'entry') {
        parent.state = 'afterNode';
        parent.keyStart = -1;
      } else parent.state = 'afterValue';
      continue;
    }
    if (frame.state === 'entry' || frame.state === 'value') {
      if (c === OPEN_BRACKET || c === OPEN_BRACE) {
        flow.frames.push({ closer: c + 2, state: 'entry', keyStart: -1, keyEnd: -1, keyQuoted: false });
        i++;
        continue;
      }
      let after: number;
      let keyStart = i + 1;
      let keyEnd: number;
      const quoted = c === QUOTE || c === APOSTROPHE;
      if (quoted) {
        after = c === QUOTE ? doubleQuotedEnd(text, i, end) : singleQuotedEnd(text, i, end);
        if (after < 0) return undefined;
        keyEnd = after - 1;
      } else {
        const next = i + 1 < end ? text.charCodeAt(i + 1) : -1;
        const indicatorAlone = next === -1 || next === SPACE || isFlowIndicator(next);
        if (notPlainStart(c) || c === QUESTION || c === COLON || (c === DASH && indicatorAlone)) return undefined;
        keyStart = i;
        after = i;
        while (after < end) {
          const d = text.charCodeAt(after);
          if (isFlowIndicator(d)) break;
          if (d === COLON) {
            const e = after + 1 < end ? text.charCodeAt(after + 1) : -1;
            if (e === -1 || e === SPACE || isFlowIndicator(e)) break;
          }
          if (d === SPACE && after + 1 < end && text.charCodeAt(after + 1) === HASH) break;
          after++;
        }
        // A plain scalar running to the end of the line may continue on the next one.
        if (after === end) return undefined;
        keyEnd = after;
        while (keyEnd > keyStart && text.charCodeAt(keyEnd - 1) === SPACE) keyEnd--;
      }
      if (frame.state === 'value') frame.state = 'afterValue';
      else {
        frame.state = 'afterNode';
        frame.keyStart = keyStart;
        frame.keyEnd = keyEnd;
        frame.keyQuoted = quoted;
      }
      i = after;
      continue;
    }
    if (c === COMMA) {
      if (frame.state === 'afterNode' && frame.closer === CLOSE_BRACE) {
        if (!frameKey(text, frame)) return undefined;
        flow.keys++;
      }
      frame.state = 'entry';
      i++;
      continue;
    }
    if (c === COLON && frame.state === 'afterNode') {
      if (!frameKey(text, frame)) return undefined;
      flow.keys++;
      frame.state = 'value';
      i++;
      // The value must follow on the same line (an empty value takes the slow path).
      while (i < end && text.charCodeAt(i) === SPACE) i++;
      if (i === end) return undefined;
      const v = text.charCodeAt(i);
      if (v === HASH || v === COMMA || v === CLOSE_BRACKET || v === CLOSE_BRACE) return undefined;
      continue;
    }
    return undefined;
  }
  const state = flow.frames[flow.frames.length - 1]!.state;
  return state === 'entry' || state === 'afterValue' ? -1 : undefined;
}

/**
 * The number of mapping keys written in `text`, when the text stays within the plain YAML the fast
 * path handles; undefined otherwise. Works on offsets into the text, without a string per line.
 */
function plainKeyCount(text: string): number | undefined {
  let keys = 0;
  // Open block collections: the column of their entries and their kind.
  const cols: number[] = [];
  const kinds: ('map' | 'seq')[] = [];
  // The previous structural line left a value open (`key:` or `-`): a deeper line may start a collection.
  let open = true;
  let openedByKey = false;
  // Inside a block scalar: its parent's column, the indentation of its content once known, and the
  // longest blank line before the content.
  let block: { parent: number; indent: number; blankMax: number } | undefined;
  let flow: FlowScan | undefined;
  let nextTab = text.indexOf('\t');

  const enter = (col: number, kind: 'map' | 'seq', first: boolean): boolean => {
    if (!first) {
      cols.push(col);
      kinds.push(kind);
      return true;
    }
    while (cols.length > 0 && cols[cols.length - 1]! > col) {
      cols.pop();
      kinds.pop();
    }
    const top = cols.length - 1;
    if (top >= 0 && cols[top] === col) {
      if (kinds[top] === kind) return true;
      // `key:` followed by `- item` at the key's column: a sequence as the value.
      if (kind === 'seq' && open && openedByKey) {
        cols.push(col);
        kinds.push(kind);
        return true;
      }
      // Back to the map after such a sequence.
      if (kind === 'map' && top > 0 && cols[top - 1] === col && kinds[top - 1] === 'map') {
        cols.pop();
        kinds.pop();
        return true;
      }
      return false;
    }
    if (!open) return false;
    cols.push(col);
    kinds.push(kind);
    return true;
  };

  /** Scans a value from `i` to the line's `end`; false for anything the fast path leaves alone. Leaves block or flow state. */
  const value = (i: number, end: number, parent: number): boolean => {
    const c = text.charCodeAt(i);
    if (c === PIPE || c === GREATER) {
      // Chomping only (an explicit indentation takes the slow path), then spaces and a comment.
      let j = i + 1;
      if (j < end && (text.charCodeAt(j) === DASH || text.charCodeAt(j) === PLUS)) j++;
      if (!restIsBlank(text, j, end)) return false;
      block = { parent, indent: -1, blankMax: 0 };
      return true;
    }
    if (c === QUOTE || c === APOSTROPHE) {
      const after = c === QUOTE ? doubleQuotedEnd(text, i, end) : singleQuotedEnd(text, i, end);
      return after > 0 && restIsBlank(text, after, end);
    }
    if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      const scan: FlowScan = { frames: [{ closer: c + 2, state: 'entry', keyStart: -1, keyEnd: -1, keyQuoted: false }], keys: 0, parent };
      const after = scanFlow(text, i + 1, end, scan);
      if (after === undefined) return false;
      if (after < 0) {
        flow = scan;
        return true;
      }
      keys += scan.keys;
      return restIsBlank(text, after, end);
    }
    const next = i + 1 < end ? text.charCodeAt(i + 1) : SPACE;
    if (notPlainStart(c) || ((c === DASH || c === QUESTION || c === COLON) && next === SPACE)) return false;
    // `a: b: c` and `a: b:` are errors; a multi-line plain scalar is caught by the indentation check.
    for (let j = i; j < end; j++) {
      const d = text.charCodeAt(j);
      if (d === SPACE && j + 1 < end && text.charCodeAt(j + 1) === HASH) break;
      if (d === COLON && (j + 1 === end || text.charCodeAt(j + 1) === SPACE)) return false;
    }
    return true;
  };

  for (let start = 0, newline = 0; start <= text.length; start = newline + 1) {
    newline = text.indexOf('\n', start);
    if (newline < 0) newline = text.length;
    // ODD_CHARACTERS refuses a CR anywhere but before a LF.
    const end = newline > start && text.charCodeAt(newline - 1) === CR ? newline - 1 : newline;
    let indent = start;
    while (indent < end && text.charCodeAt(indent) === SPACE) indent++;
    const blank = indent === end;
    const column = indent - start;

    if (block) {
      if (blank) {
        if (block.indent < 0) block.blankMax = Math.max(block.blankMax, column);
        continue;
      }
      if (column > block.parent) {
        if (block.indent < 0) {
          // Leading blank lines longer than the content's indentation are an error.
          if (block.blankMax > column) return undefined;
          block.indent = column;
        } else if (column < block.indent) return undefined;
        continue;
      }
      if (block.indent < 0 && block.blankMax > block.parent) return undefined;
      block = undefined;
    }
    while (nextTab >= 0 && nextTab < start) nextTab = text.indexOf('\t', start);
    if (nextTab >= 0 && nextTab < end) return undefined;
    if (flow) {
      if (blank) continue;
      if (column <= flow.parent) return undefined;
      const after = scanFlow(text, indent, end, flow);
      if (after === undefined) return undefined;
      if (after >= 0) {
        keys += flow.keys;
        flow = undefined;
        if (!restIsBlank(text, after, end)) return undefined;
      }
      continue;
    }
    if (blank || text.charCodeAt(indent) === HASH) continue;
    if (column === 0 && (text.startsWith('---', start) || text.startsWith('...', start) || text.charCodeAt(start) === 37)) return undefined;

    let i = indent;
    let first = true;
    let parent = column;
    // Sequence entries, possibly nested on one line (`- - a`).
    while (text.charCodeAt(i) === DASH && (i + 1 === end || text.charCodeAt(i + 1) === SPACE)) {
      if (!enter(i - start, 'seq', first)) return undefined;
      first = false;
      parent = i - start;
      i++;
      while (i < end && text.charCodeAt(i) === SPACE) i++;
    }
    if (i === end || text.charCodeAt(i) === HASH) {
      // `-` alone: the entry's value follows on deeper lines, or is null.
      open = true;
      openedByKey = false;
      continue;
    }

    // A key, quoted or plain, then `:` and a space or the end of the line.
    const c = text.charCodeAt(i);
    let keyEnd = -1;
    let afterKey = -1;
    let quoted = false;
    if (c === QUOTE || c === APOSTROPHE) {
      const after = c === QUOTE ? doubleQuotedEnd(text, i, end) : singleQuotedEnd(text, i, end);
      if (after < 0) return undefined;
      let j = after;
      while (j < end && text.charCodeAt(j) === SPACE) j++;
      if (j < end && text.charCodeAt(j) === COLON && (j + 1 === end || text.charCodeAt(j + 1) === SPACE)) {
        keyEnd = after - 1;
        afterKey = j + 1;
        quoted = true;
      }
    } else if (c !== OPEN_BRACKET && c !== OPEN_BRACE) {
      for (let j = i; j < end; j++) {
        const d = text.charCodeAt(j);
        if (d === COLON && (j + 1 === end || text.charCodeAt(j + 1) === SPACE)) {
          keyEnd = j;
          while (keyEnd > i && text.charCodeAt(keyEnd - 1) === SPACE) keyEnd--;
          afterKey = j + 1;
          break;
        }
        if (d === SPACE && j + 1 < end && text.charCodeAt(j + 1) === HASH) break;
      }
      if (afterKey > 0) {
        const next = i + 1 < end ? text.charCodeAt(i + 1) : SPACE;
        if (notPlainStart(c) || ((c === DASH || c === QUESTION || c === COLON) && next === SPACE)) return undefined;
      }
    }

    if (afterKey < 0) {
      // Not a key: the value of a sequence entry (a line that is neither is a continuation or an error).
      if (first) return undefined;
      if (!value(i, end, parent)) return undefined;
      open = false;
      continue;
    }
    if (!acceptableKey(text, quoted ? i + 1 : i, keyEnd, quoted) || !enter(i - start, 'map', first)) return undefined;
    keys++;
    let j = afterKey;
    while (j < end && text.charCodeAt(j) === SPACE) j++;
    if (j === end || text.charCodeAt(j) === HASH) {
      open = true;
      openedByKey = true;
      continue;
    }
    if (!value(j, end, i - start)) return undefined;
    open = false;
  }
  if (flow) return undefined;
  if (block && block.indent < 0 && block.blankMax > block.parent) return undefined;
  return keys;
}

// ---------------------------------------------------------------------------------------------------
// Schema issues

/** Options of `schemaIssues`. */
export interface SchemaIssueOptions {
  /** Paths (formatted, e.g. `security.webhookSecret`) whose values must never appear in messages. */
  secretPaths?: ReadonlySet<string>;
}

/**
 * Maps TypeBox errors to issues at the offending nodes, one per location, with messages written for
 * people editing YAML: `unknown key "descripton" (did you mean "description"?)`, `missing required
 * key "endpoint"`, `must be one of header, query, path, body, form-data (got "bdy")`.
 */
export function schemaIssues<T extends TSchema>(
  checker: TypeCheck<T>,
  value: unknown,
  source: YamlSource,
  file: string,
  options: SchemaIssueOptions = {},
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of checker.Errors(value)) {
    // The first error at a path is the most specific (a missing key is reported before the type error
    // TypeBox also yields for its undefined value); the rest repeat it.
    if (seen.has(error.path)) continue;
    seen.add(error.path);
    const segments = pointerToPath(error.path, value);
    const formatted = formatPath(segments);
    const reveal = !options.secretPaths?.has(formatted);
    if (error.type === ValueErrorType.ObjectRequiredProperty) {
      const parent = segments.slice(0, -1);
      const p = source.locate(parent);
      issues.push({ file, ...p, path: formatPath(parent), message: `missing required key "${String(segments.at(-1))}"`, severity: 'error' });
      continue;
    }
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const key = String(segments.at(-1));
      const known = Object.keys((error.schema as { properties?: Record<string, unknown> }).properties ?? {});
      const p = source.locate(segments, 'key');
      issues.push({ file, ...p, path: formatPath(segments.slice(0, -1)), message: `unknown key ${JSON.stringify(key)}${didYouMean(key, known)}`, severity: 'error' });
      continue;
    }
    const p = source.locate(segments);
    issues.push({ file, ...p, path: formatted, message: describeError(error, reveal, segments.length === 0), severity: 'error' });
  }
  // An anchored node reused through aliases fails once per use but has one place to fix.
  return dedupeByPlace(issues).sort(compareIssues);
}

/** JSON pointer (`/tools/2/args/0`) → segments, numbers where the value holds a list. */
function pointerToPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current)) {
      const index = Number(key);
      out.push(index);
      current = current[index];
    } else {
      out.push(key);
      current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

/** The kind of a YAML value in YAML words: string, number, boolean, null, list, map. */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Uint8Array) return 'binary';
  if (value instanceof Date) return 'timestamp';
  if (typeof value === 'object') return 'map';
  return typeof value;
}

/** A short rendering of a value for messages: strings quoted, long ones cut. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return kindOf(value);
}

const PATTERN_MESSAGES: Record<string, string> = {
  '^[A-Za-z0-9][A-Za-z0-9_.-]*$': 'must start with a letter or digit and contain only letters, digits, "_", "." or "-"',
  '^[A-Za-z0-9_][A-Za-z0-9_.-]*$': 'must start with a letter, digit or "_" and contain only letters, digits, "_", "." or "-"',
  '^[A-Za-z]+$': `must be one of ${HTTP_METHODS.join(', ')}`,
};

function describeError(error: ValueError, reveal: boolean, root: boolean): string {
  const schema = error.schema as Record<string, unknown>;
  const value = error.value;
  const got = (text: string) => (reveal ? ` (got ${text})` : '');
  switch (error.type) {
    case ValueErrorType.Union: {
      const variants = (schema.anyOf as Record<string, unknown>[] | undefined) ?? [];
      if (variants.length > 0 && variants.every((v) => 'const' in v)) {
        return `must be one of ${variants.map((v) => String(v.const)).join(', ')}${got(show(value))}`;
      }
      if (schema.description === Duration.description) {
        return `must be a duration: milliseconds, or a string such as "500ms", "10s", "2m"${got(show(value))}`;
      }
      const kinds = variants.map((v) => (v.type === 'null' ? 'null' : article(String(v.type))));
      return `must be ${kinds.join(' or ')}${got(kindOf(value))}`;
    }
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema.const)}${got(show(value))}`;
    case ValueErrorType.String:
      return `must be a string${got(kindOf(value))}`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters long${got(show(value))}`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters long${got(`${String(value).length} characters`)}`;
    case ValueErrorType.StringPattern:
      return `${PATTERN_MESSAGES[String(schema.pattern)] ?? `must match pattern ${String(schema.pattern)}`}${got(show(value))}`;
    case ValueErrorType.Integer:
      return `must be an integer${got(typeof value === 'number' ? String(value) : kindOf(value))}`;
    case ValueErrorType.Number:
      return `must be a number${got(kindOf(value))}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      if (schema.minimum !== undefined && schema.maximum !== undefined) {
        return `must be between ${schema.minimum} and ${schema.maximum}${got(show(value))}`;
      }
      return schema.minimum !== undefined ? `must be at least ${schema.minimum}${got(show(value))}` : `must be at most ${schema.maximum}${got(show(value))}`;
    case ValueErrorType.Boolean:
      return `must be true or false${got(kindOf(value))}`;
    case ValueErrorType.Array:
      return `must be a list${got(kindOf(value))}`;
    case ValueErrorType.Object:
      return `${root ? 'the document ' : ''}must be a map${got(kindOf(value))}`;
    case ValueErrorType.Null:
      return `must be null${got(kindOf(value))}`;
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

function article(type: string): string {
  const word = type === 'array' ? 'list' : type === 'object' ? 'map' : type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

// ---------------------------------------------------------------------------------------------------
// Config documents

// Compiled once: the per-document check is then a generated function, not a schema walk.
const configChecker = TypeCompiler.Compile(McpConfig);

/**
 * Parses and schema-checks one config document held in memory (the console's save path uses this
 * before committing). `doc` is set only when there is no error; warnings may accompany it. A plain
 * valid document takes the fast path, and its positions are parsed only if something asks for one.
 */
export function parseConfigText(file: string, text: string): { doc?: McpConfig; issues: ConfigIssue[]; source: YamlSource } {
  const fast = fastParseYaml(text);
  if (fast !== undefined && configChecker.Check(fast)) return { doc: fast, issues: [], source: YamlSource.lazy(text) };
  const parsed = parseYaml(file, text);
  if (parsed.value === undefined) return { issues: parsed.issues, source: parsed.source };
  if (configChecker.Check(parsed.value)) {
    return { doc: parsed.value, issues: parsed.issues, source: parsed.source };
  }
  const issues = [...parsed.issues, ...schemaIssues(configChecker, parsed.value, parsed.source, file)];
  return { issues: issues.sort(compareIssues), source: parsed.source };
}

/** What one file's text became. */
interface FileResult {
  readonly text: string;
  /** Deep-frozen; absent when the file has errors. */
  readonly doc: McpConfig | undefined;
  /** Frozen. */
  readonly issues: readonly ConfigIssue[];
}

/**
 * Parse and schema-check results by file, reused while the file's text is the same (compared in full:
 * as cheap as hashing it, and nothing can collide). A reload then parses only the files that changed.
 * A hit hands out the same frozen document object, which is what lets validation and the route table
 * compile reuse their work for that document too. Files absent from the last load are forgotten, so
 * the cache holds one revision.
 */
export class LoadCache {
  private readonly files = new Map<string, FileResult>();

  /** The result for `file` when its text is `text`. */
  get(file: string, text: string): FileResult | undefined {
    const hit = this.files.get(file);
    return hit?.text === text ? hit : undefined;
  }

  set(file: string, text: string, doc: McpConfig | undefined, issues: readonly ConfigIssue[]): FileResult {
    const result: FileResult = { text, doc: doc === undefined ? undefined : deepFreeze(doc), issues: issues.map((i) => Object.freeze({ ...i })) };
    this.files.set(file, result);
    return result;
  }

  /** Forgets every file not in `present`. */
  retain(present: ReadonlySet<string>): void {
    for (const file of this.files.keys()) if (!present.has(file)) this.files.delete(file);
  }

  get size(): number {
    return this.files.size;
  }
}

/** A gateway loads one root, tests and tools a few: keep the caches of the most recently loaded roots. */
const ROOT_CACHES = 8;
const rootCaches = new Map<string, LoadCache>();

function rootCache(root: string): LoadCache {
  const key = resolve(root);
  const cache = rootCaches.get(key) ?? new LoadCache();
  rootCaches.delete(key);
  rootCaches.set(key, cache);
  if (rootCaches.size > ROOT_CACHES) rootCaches.delete(rootCaches.keys().next().value!);
  return cache;
}

/** Options of `loadConfigDir`. */
export interface LoadOptions {
  /** Results of earlier loads to reuse; by default a cache kept per root for the life of the process. */
  cache?: LoadCache;
}

/**
 * Reads every `configs/<tenant>/<name>.yaml` (or `.yml`) under `root`, the repo root. Other files are
 * ignored; YAML files at another depth, symbolic links and a missing `configs/` are reported.
 * Documents are returned sorted by file path, deep-frozen: a file whose text did not change since the
 * previous load of the root yields the same document object (see `LoadCache`).
 */
export async function loadConfigDir(root: string, options: LoadOptions = {}): Promise<LoadResult> {
  const cache = options.cache ?? rootCache(root);
  const issues: ConfigIssue[] = [];
  const whole = (file: string, message: string, severity: ConfigIssue['severity'] = 'error'): ConfigIssue => ({
    file,
    line: 1,
    col: 1,
    path: '',
    message,
    severity,
  });
  const configsDir = join(root, 'configs');
  const info = await stat(configsDir).catch(() => undefined);
  if (!info?.isDirectory()) {
    cache.retain(new Set());
    return { configs: [], files: 0, issues: [whole('configs/', 'directory not found (documents live in configs/<tenant>/<name>.yaml)')] };
  }

  const files: string[] = [];
  for (const entry of await readdir(configsDir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = `configs/${entry.name}`;
    if (entry.isSymbolicLink()) {
      issues.push(whole(rel, 'symbolic link ignored (links could read files outside the repository)', 'warning'));
    } else if (entry.isFile()) {
      if (CONFIG_EXTENSION.test(entry.name)) issues.push(whole(rel, 'misplaced config file: documents live in configs/<tenant>/<name>.yaml'));
    } else if (entry.isDirectory()) {
      for (const inner of await readdir(join(configsDir, entry.name), { withFileTypes: true })) {
        if (inner.name.startsWith('.')) continue;
        const innerRel = `${rel}/${inner.name}`;
        if (inner.isSymbolicLink()) {
          if (CONFIG_EXTENSION.test(inner.name)) issues.push(whole(innerRel, 'symbolic link ignored (links could read files outside the repository)', 'warning'));
        } else if (inner.isFile() && CONFIG_EXTENSION.test(inner.name)) {
          files.push(innerRel);
        } else if (inner.isDirectory()) {
          issues.push(whole(`${innerRel}/`, 'directory ignored (documents live in configs/<tenant>/<name>.yaml)', 'warning'));
        }
      }
    }
  }
  files.sort();
  cache.retain(new Set(files));

  // A huge file is refused before it is read into memory.
  const texts = await Promise.all(
    files.map(async (f) => ((await stat(join(root, f))).size > MAX_CONFIG_BYTES ? undefined : readFile(join(root, f), 'utf8'))),
  );
  const configs: LoadedConfig[] = [];
  files.forEach((file, i) => {
    const text = texts[i];
    if (text === undefined) {
      issues.push(whole(file, `file is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`));
      return;
    }
    let result = cache.get(file, text);
    let source: YamlSource | undefined;
    if (!result) {
      const parsed = parseConfigText(file, text);
      result = cache.set(file, text, parsed.doc, parsed.issues);
      source = parsed.source;
    }
    issues.push(...result.issues);
    // Positions of an unchanged document are parsed again only if validation has something to report.
    if (result.doc) configs.push({ file, doc: result.doc, text, source: source ?? YamlSource.lazy(text) });
  });
  return { configs, issues: issues.sort(compareIssues), files: files.length };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** The positions of a loaded config, parsing its text again when they were not kept. */
export function sourceOf(config: LoadedConfig): YamlSource {
  return config.source ?? parseYaml(config.file, config.text).source;
}

/** Compiles a TypeBox checker; exported so settings share the same error mapping. */
export function compileChecker<T extends TSchema>(schema: T): TypeCheck<T> {
  return TypeCompiler.Compile(schema);
}
