import { describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const transpiler = new Bun.Transpiler({ loader: 'tsx' });
/** What the transpiler adds for JSX itself; the runtime really used is @kitajs/html (tsconfig's jsxImportSource). */
const JSX_RUNTIME = new Set(['react', 'react/jsx-dev-runtime', 'react/jsx-runtime']);

describe('views boundaries', () => {
  it('imports nothing but @kitajs/html and other views (props in, HTML out, no I/O)', () => {
    const bad: string[] = [];
    let files = 0;
    for (const file of new Bun.Glob('**/*.{ts,tsx}').scanSync(import.meta.dir)) {
      if (file.endsWith('.test.ts')) continue;
      files++;
      for (const { path } of transpiler.scanImports(readFileSync(join(import.meta.dir, file), 'utf8'))) {
        const inViews = path.startsWith('.') && resolve(dirname(join(import.meta.dir, file)), path).startsWith(`${import.meta.dir}/`);
        const ok = JSX_RUNTIME.has(path) || path.startsWith('@kitajs/html') || inViews;
        if (!ok) bad.push(`${file} imports ${path}`);
      }
    }
    expect(files).toBeGreaterThanOrEqual(3);
    expect(bad).toEqual([]);
  });
});
