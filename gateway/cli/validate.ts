/**
 * `bun run validate [DIR] [--json]`: validates a config repo like a compiler checks sources.
 *
 * DIR is a repo root holding `configs/` (default `config-repo`) or the `configs/` folder itself. Issues
 * go to stdout one per line, `configs/acme/tickets.yaml:12:7: tools[2].endpoint: unknown function "evn"`
 * (warnings read `…:7: warning: path: message`), paths relative to DIR; the summary
 * `N files, E errors, W warnings` goes to stderr. Exit status: 0 valid (warnings allowed), 1 errors,
 * 2 usage.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type ConfigIssue, formatIssue } from '../config/issues.ts';
import { loadAndValidate } from '../config/validate.ts';

const USAGE = 'usage: bun run validate [DIR] [--json]   (DIR: a config repo root holding configs/, default config-repo)';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Runs the validator; `out` receives the issue lines (or the JSON document with `--json`), `err` the
 * summary and usage errors. Resolves to the exit status.
 */
export async function runValidate(
  args: readonly string[],
  out: (line: string) => void,
  err: (line: string) => void = (line) => console.error(line),
): Promise<number> {
  let json = false;
  const positional: string[] = [];
  for (const arg of args) {
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') {
      out(USAGE);
      return 0;
    } else if (arg.startsWith('-')) {
      err(`validate: unknown flag ${JSON.stringify(arg)}`);
      err(USAGE);
      return 2;
    } else positional.push(arg);
  }
  if (positional.length > 1) {
    err(`validate: expected one DIR, got ${positional.length}`);
    err(USAGE);
    return 2;
  }
  const dir = positional[0] ?? 'config-repo';
  const abs = resolve(dir);
  if (!(await isDirectory(abs))) {
    err(`validate: ${dir}: not a directory`);
    return 2;
  }
  // DIR may be the configs/ folder itself; paths are then shown relative to it.
  const isConfigsFolder = !(await isDirectory(join(abs, 'configs'))) && basename(abs) === 'configs';
  const root = isConfigsFolder ? dirname(abs) : abs;
  const result = await loadAndValidate(root);
  const shown = (issue: ConfigIssue): ConfigIssue =>
    isConfigsFolder && issue.file.startsWith('configs/') ? { ...issue, file: issue.file.slice('configs/'.length) || '.' } : issue;
  const issues = result.issues.map(shown);
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;

  if (json) out(JSON.stringify({ files: result.files, errors, warnings, issues }, null, 2));
  else for (const issue of issues) out(formatIssue(issue));
  err(`${plural(result.files, 'file')}, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`);
  return errors > 0 ? 1 : 0;
}

if (import.meta.main) process.exit(await runValidate(Bun.argv.slice(2), (line) => console.log(line)));
