import { describe, expect, it } from 'bun:test';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ADMIN = import.meta.dir;
const ROOT = resolve(ADMIN, '..');
const transpiler = new Bun.Transpiler({ loader: 'tsx' });

/** Every import of the admin's non-test sources, resolved relative to the project root. */
function imports(): { file: string; target: string }[] {
  const out: { file: string; target: string }[] = [];
  for (const file of new Bun.Glob('**/*.{ts,tsx}').scanSync(ADMIN)) {
    if (file.endsWith('.test.ts') || file === 'test-support.ts') continue;
    const path = join(ADMIN, file);
    for (const imp of transpiler.scanImports(readFileSync(path, 'utf8'))) {
      if (!imp.path.startsWith('.')) continue;
      out.push({ file: relative(ROOT, path), target: relative(ROOT, resolve(dirname(path), imp.path)) });
    }
  }
  return out;
}

describe('admin boundaries', () => {
  it('imports nothing of the gateway but its config contract', () => {
    const all = imports();
    expect(all.length).toBeGreaterThan(20);
    const forbidden = all.filter(({ target }) => target.startsWith('gateway/') && !target.startsWith('gateway/config/'));
    expect(forbidden).toEqual([]);
  });
});
