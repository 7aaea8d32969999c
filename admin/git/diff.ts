/**
 * `git diff` output parsed into lines for rendering: hunk headers, and added, deleted and context lines
 * with their line numbers in the old and the new file.
 */

/** One rendered line of a unified diff; `text` is the line without its `+`/`-`/` ` marker. */
export interface DiffLine {
  kind: 'hunk' | 'add' | 'del' | 'ctx';
  text: string;
  /** Line number in the old file (`del`, `ctx`; for `hunk` the first old line). */
  oldLine?: number;
  /** Line number in the new file (`add`, `ctx`; for `hunk` the first new line). */
  newLine?: number;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Parses the unified diff of one or more files. File headers (`diff --git`, `---`, `+++`, `index`…) are
 * skipped; `\ No newline at end of file` markers are dropped. Lines are counted against the hunk header,
 * so a deleted line that reads `-- x` is never taken for a header.
 */
export function parseUnifiedDiff(text: string): DiffLine[] {
  const out: DiffLine[] = [];
  let oldLine = 0;
  let newLine = 0;
  let oldLeft = 0;
  let newLeft = 0;
  for (const line of text.split('\n')) {
    if (oldLeft > 0 || newLeft > 0) {
      const marker = line[0];
      const body = line.slice(1);
      if (marker === '+') {
        out.push({ kind: 'add', text: body, newLine: newLine++ });
        newLeft--;
        continue;
      }
      if (marker === '-') {
        out.push({ kind: 'del', text: body, oldLine: oldLine++ });
        oldLeft--;
        continue;
      }
      if (marker === ' ' || line === '') {
        // git writes an empty context line as a lone space; an editor may have trimmed it.
        out.push({ kind: 'ctx', text: body, oldLine: oldLine++, newLine: newLine++ });
        oldLeft--;
        newLeft--;
        continue;
      }
      if (marker === '\\') continue;
      // Anything else ends the hunk early (a truncated diff); fall through to header handling.
      oldLeft = 0;
      newLeft = 0;
    }
    if (line.startsWith('\\')) continue;
    const hunk = HUNK.exec(line);
    if (!hunk) continue;
    oldLine = Number(hunk[1]);
    newLine = Number(hunk[3]);
    oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
    newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
    out.push({ kind: 'hunk', text: line, oldLine, newLine });
  }
  return out;
}
