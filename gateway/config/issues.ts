/**
 * Config issues: what the loader and the validator report about config documents, each pointing at a
 * file, a 1-based line and column, and a path into the document (`tools[2].args[0].position`).
 *
 * One text format everywhere (CLI, logs, console, `/_status`), compiler style so editors and CI
 * annotate it: `configs/acme/tickets.yaml:12:7: tools[2].endpoint: unknown function "evn"`.
 */

/** One problem found in a config document. */
export interface ConfigIssue {
  /** Path relative to the config repo root, forward slashes (`configs/acme/tickets.yaml`). */
  file: string;
  /** 1-based line in `file`. */
  line: number;
  /** 1-based column in `file`. */
  col: number;
  /** Location inside the document in JS-ish notation (`tools[2].args[0].position`); empty for the whole document. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

/** A document path as segments: keys of maps and indexes of lists. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Renders path segments in JS-ish notation: `tools[2].args[0].position`; keys that are not identifiers
 * are quoted, as in `tools[0].headers["X-User"]`.
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/**
 * Formats an issue on one line: `file:line:col: path: message` for errors,
 * `file:line:col: warning: path: message` for warnings; the `path: ` part is left out when empty.
 */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.col}: `;
  const severity = issue.severity === 'warning' ? 'warning: ' : '';
  const path = issue.path === '' ? '' : `${issue.path}: `;
  return `${where}${severity}${path}${issue.message}`;
}

/** Orders issues by file, line, column, then message, so output is stable across runs. */
export function compareIssues(a: ConfigIssue, b: ConfigIssue): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.col !== b.col) return a.col - b.col;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

/** True when at least one issue is an error (warnings never block a reload). */
export function hasErrors(issues: readonly ConfigIssue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

/**
 * Levenshtein distance, bounded: returns `max + 1` as soon as the distance must exceed `max`, which
 * keeps did-you-mean suggestions cheap on long keys.
 */
export function editDistance(a: string, b: string, max = 2): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      row.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = row;
  }
  return prev[b.length] ?? max + 1;
}

/**
 * The candidate closest to `word` within edit distance 2 (case-insensitive matches count as
 * distance 1), or undefined. Used for `(did you mean "description"?)`.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const d = candidate.toLowerCase() === lower ? 1 : editDistance(word, candidate, 2);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "x"?)` when a close candidate exists, else the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean "${c}"?)`;
}
