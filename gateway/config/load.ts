/**
 * Loading config documents: YAML text → typed `McpConfig` + issues with file, line, column and path.
 *
 * Strict on purpose (Caddy rejects unknown fields): one document per file, no duplicate keys, bounded
 * alias expansion, every schema violation reported at the offending node. The raw YAML text is never
 * rewritten (no `${VAR}` expansion as in the seed system): values reach the gateway only through the
 * parsed tree, and environment variables only through the template `env` function and its allowlist.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors';
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseAllDocuments,
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
  /** Positions of the parsed nodes; re-created from `text` when absent. */
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
  constructor(
    readonly text: string,
    readonly document: Document.Parsed | undefined,
    private readonly lines: LineCounter,
  ) {}

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
  const parsed = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    version: '1.2',
  });
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
 * before committing). `doc` is set only when there is no error; warnings may accompany it.
 */
export function parseConfigText(file: string, text: string): { doc?: McpConfig; issues: ConfigIssue[]; source: YamlSource } {
  const parsed = parseYaml(file, text);
  if (parsed.value === undefined) return { issues: parsed.issues, source: parsed.source };
  if (configChecker.Check(parsed.value)) {
    return { doc: parsed.value, issues: parsed.issues, source: parsed.source };
  }
  const issues = [...parsed.issues, ...schemaIssues(configChecker, parsed.value, parsed.source, file)];
  return { issues: issues.sort(compareIssues), source: parsed.source };
}

/**
 * Reads every `configs/<tenant>/<name>.yaml` (or `.yml`) under `root`, the repo root. Other files are
 * ignored; YAML files at another depth, symbolic links and a missing `configs/` are reported.
 * Documents are returned sorted by file path.
 */
export async function loadConfigDir(root: string): Promise<LoadResult> {
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
    const result = parseConfigText(file, text);
    issues.push(...result.issues);
    if (result.doc) configs.push({ file, doc: result.doc, text, source: result.source });
  });
  return { configs, issues: issues.sort(compareIssues), files: files.length };
}

/** The positions of a loaded config, parsing its text again when they were not kept. */
export function sourceOf(config: LoadedConfig): YamlSource {
  return config.source ?? parseYaml(config.file, config.text).source;
}

/** Compiles a TypeBox checker; exported so settings share the same error mapping. */
export function compileChecker<T extends TSchema>(schema: T): TypeCheck<T> {
  return TypeCompiler.Compile(schema);
}
