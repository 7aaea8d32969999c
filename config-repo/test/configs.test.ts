/**
 * Validates every config document of this repository with the gateway's own validator, the same code a
 * gateway runs before it applies a revision. CI runs it on every pull request (`bun test`); one test per
 * file, so a failing run names the broken file and prints each issue as `file:line:col: path: message`.
 *
 * The validator comes from a checkout of the gateway: `GATEWAY_DIR`, by default the parent directory
 * (this repository inside the gateway's source tree). In a standalone copy of this repository, check out
 * the gateway next to it, run `bun install` there, and set `GATEWAY_DIR`.
 */
import { beforeAll, describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

const REPO_ROOT = resolve(import.meta.dir, '..');
const GATEWAY_DIR = resolve(process.env.GATEWAY_DIR ?? join(import.meta.dir, '..', '..'));
const VALIDATOR = join(GATEWAY_DIR, 'gateway', 'config', 'validate.ts');

/** First line of every document: points editors (yaml-language-server) at the committed JSON Schema. */
const SCHEMA_HEADER = '# yaml-language-server: $schema=../../schema/mcp-config.schema.json';

/** The part of the gateway's issue type this test reads. */
interface Issue {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

interface Validator {
  loadAndValidate(root: string): Promise<{ configs: unknown[]; issues: Issue[]; files: number }>;
  formatIssue(issue: Issue): string;
}

async function importValidator(): Promise<Validator> {
  if (!existsSync(VALIDATOR)) {
    throw new Error(
      `gateway validator not found at ${VALIDATOR}: set GATEWAY_DIR to a checkout of the gateway (with bun install run in it)`,
    );
  }
  const mod = (await import(VALIDATOR)) as Partial<Validator>;
  if (typeof mod.loadAndValidate !== 'function') {
    throw new Error(`${VALIDATOR} does not export loadAndValidate: GATEWAY_DIR points at an incompatible gateway version`);
  }
  // formatIssue lives in issues.ts; validate.ts may re-export it.
  const format =
    mod.formatIssue ?? ((await import(join(GATEWAY_DIR, 'gateway', 'config', 'issues.ts'))) as Validator).formatIssue;
  return { loadAndValidate: mod.loadAndValidate, formatIssue: format };
}

/** Every YAML file under configs/, at any depth, as repo-relative paths with forward slashes. */
const FILES = [...new Bun.Glob('configs/**/*.{yaml,yml}').scanSync({ cwd: REPO_ROOT, dot: false })]
  .map((file) => file.split(sep).join('/'))
  .sort();

let validator: Validator;
let issues: Issue[] = [];

beforeAll(async () => {
  validator = await importValidator();
  ({ issues } = await validator.loadAndValidate(REPO_ROOT));
  for (const issue of issues) {
    if (issue.severity === 'warning') console.warn(validator.formatIssue(issue));
  }
});

/** Formatted errors, so a failing assertion prints exactly what `bun run validate` would. */
function errors(filter: (issue: Issue) => boolean): string[] {
  return issues.filter((i) => i.severity === 'error' && filter(i)).map((i) => validator.formatIssue(i));
}

describe('config documents', () => {
  for (const file of FILES) {
    it(`${file} is valid`, () => {
      const problems = errors((issue) => issue.file === file);
      const firstLine = readFileSync(join(REPO_ROOT, file), 'utf8').split(/\r?\n/, 1)[0];
      if (firstLine !== SCHEMA_HEADER) {
        problems.unshift(`${file}:1:1: first line must be "${SCHEMA_HEADER}" (editor schema help)`);
      }
      for (const problem of problems) console.error(problem);
      expect(problems).toEqual([]);
    });
  }

  it('has no errors across files (unique prefixes, layout, references)', () => {
    const documents = new Set(FILES);
    const problems = errors((issue) => !documents.has(issue.file));
    for (const problem of problems) console.error(problem);
    expect(problems).toEqual([]);
  });
});
