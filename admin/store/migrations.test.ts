/**
 * The committed migrations match the schemas: drizzle-kit generates against a copy of each migrations
 * folder and must find nothing to do. When this fails, run
 * `bunx drizzle-kit generate --config drizzle.<sqlite|pg|mysql>.config.ts --name <what-changed>` and
 * commit the new migration.
 */
import { afterAll, describe, expect, it } from 'bun:test';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const STORE = import.meta.dir;
const DRIZZLE_KIT = join(STORE, '..', '..', 'node_modules', 'drizzle-kit', 'bin.cjs');
const tmp = mkdtempSync(join(tmpdir(), 'store-migrations-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir`, relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('store migrations', () => {
  for (const [folder, dialect] of [
    ['sqlite', 'sqlite'],
    ['pg', 'postgresql'],
    ['mysql', 'mysql'],
  ] as const) {
    it(`are up to date with schema/${folder}.ts`, async () => {
      const committed = join(STORE, 'migrations', folder);
      const work = join(tmp, folder);
      cpSync(committed, join(work, folder), { recursive: true });
      // drizzle-kit prefixes `./` to its paths, so it runs in the copy's parent with relative paths.
      const proc = Bun.spawn(
        [
          process.execPath,
          DRIZZLE_KIT,
          'generate',
          '--dialect',
          dialect,
          '--schema',
          relative(work, join(STORE, 'schema', `${folder}.ts`)),
          '--out',
          folder,
        ],
        { cwd: work, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', timeout: 30_000 },
      );
      const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
      await proc.exited;
      // A change drizzle-kit needs to ask about (a rename) fails without a terminal yet exits 0: the
      // output is the reliable signal.
      expect({ output: `${out}${err}`.includes('No schema changes') ? 'no changes' : `${out}${err}` }).toEqual({ output: 'no changes' });
      expect(files(join(work, folder))).toEqual(files(committed));
    });
  }
});
