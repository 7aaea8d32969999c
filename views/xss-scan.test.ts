/**
 * kitajs's XSS scan (`@kitajs/ts-html-plugin`) over every TSX file of the console: a JSX child that may
 * hold a string (user, config or upstream data) must be escaped (`safe`) or provably safe.
 *
 * The scanner is written against TypeScript 5's compiler API, which the project's TypeScript 7 no
 * longer offers, so the scan runs on the `typescript5` package; the plugin's own module is pointed at
 * the same compiler.
 */
import { describe, expect, it, mock } from 'bun:test';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript5';

mock.module('typescript', () => ({ default: ts, ...ts }));
const { recursiveDiagnoseJsxElements } = (await import('@kitajs/ts-html-plugin/dist/util.js')) as {
  recursiveDiagnoseJsxElements: (t: typeof ts, node: ts.Node, checker: ts.TypeChecker, out: ts.Diagnostic[]) => void;
};

const ROOT = resolve(import.meta.dir, '..');

function scan(files: string[]): string[] {
  const options: ts.CompilerOptions = {
    jsx: ts.JsxEmit.ReactJSX,
    jsxImportSource: '@kitajs/html',
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ESNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    types: ['bun'],
  };
  const program = ts.createProgram(files, options);
  const checker = program.getTypeChecker();
  const diagnostics: ts.Diagnostic[] = [];
  for (const source of program.getSourceFiles()) {
    if (!source.fileName.endsWith('.tsx') || source.fileName.includes('node_modules')) continue;
    ts.forEachChild(source, (node) => recursiveDiagnoseJsxElements(ts, node, checker, diagnostics));
  }
  return diagnostics.map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const file = d.file ? relative(ROOT, d.file.fileName) : '?';
    return `${file}:${where ? where.line + 1 : '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

function consoleSources(): string[] {
  const files: string[] = [];
  for (const dir of ['views', 'admin']) {
    for (const f of new Bun.Glob('**/*.tsx').scanSync(join(ROOT, dir))) {
      if (f.startsWith('fixtures/')) continue;
      files.push(join(ROOT, dir, f));
    }
  }
  return files;
}

describe('console XSS scan', () => {
  // One program for both checks: building it is the slow part.
  const fixture = join(import.meta.dir, 'fixtures/unsafe.tsx');
  let found: string[] | undefined;
  const results = () => (found ??= scan([fixture, ...consoleSources()]));

  it('flags an unescaped string child when a component has one', () => {
    const flagged = results().filter((d) => d.startsWith('views/fixtures/'));
    expect(flagged.length).toBe(1);
    expect(flagged[0]).toContain('views/fixtures/unsafe.tsx:4');
  }, 60_000);

  it('finds nothing when it scans every console view', () => {
    expect(consoleSources().length).toBeGreaterThanOrEqual(3);
    expect(results().filter((d) => !d.startsWith('views/fixtures/'))).toEqual([]);
  }, 60_000);
});
