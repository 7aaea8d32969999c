import { afterEach, beforeEach, describe, expect, it } from 'bun:test';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigRepo, type ConfigRepoOptions, RepoError } from './repo.ts';

// CI machines have no global git identity; the tests' own git commands carry one.
const IDENTITY = {
  GIT_AUTHOR_NAME: 'Ops',
  GIT_AUTHOR_EMAIL: 'ops@example.invalid',
  GIT_COMMITTER_NAME: 'Ops',
  GIT_COMMITTER_EMAIL: 'ops@example.invalid',
};
const ALICE = { name: 'Alice Admin', email: 'alice@example.com' };
const BOB = { name: 'Bob Admin', email: 'bob@example.com' };
const WEATHER = 'configs/acme/weather.yaml';
const TICKETS = 'configs/acme/tickets.yaml';
const doc = (name: string, v: number) => `tenant: acme\nname: ${name}\n# version ${v}\n`;

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, env: { ...process.env, ...IDENTITY }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A bare repo and an ops clone that pushes to it behind the console's back. */
interface Fixture {
  dir: string;
  bare: string;
  ops: string;
}

let fx: Fixture;
let clones = 0;

async function fixture(): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'admin-git-'));
  const bare = join(dir, 'config.git');
  const ops = join(dir, 'ops');
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  git(dir, 'init', '--quiet', '--initial-branch=main', ops);
  git(ops, 'remote', 'add', 'origin', bare);
  return { dir, bare, ops };
}

/** Commits files from the ops clone (null deletes) on top of the remote's tip and pushes. */
async function opsPush(files: Record<string, string | null>, message = `ops change ${Object.keys(files).join(', ')}`): Promise<string> {
  if (git(fx.bare, 'for-each-ref', 'refs/heads/main') !== '') {
    git(fx.ops, 'fetch', '--quiet', 'origin', 'main');
    git(fx.ops, 'reset', '--quiet', '--hard', 'FETCH_HEAD');
  }
  const sha = await opsCommit(files, message);
  git(fx.ops, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
  return sha;
}

/** Commits files in the ops clone without pushing. */
async function opsCommit(files: Record<string, string | null>, message: string): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(fx.ops, path);
    if (text === null) {
      await rm(full);
    } else {
      await mkdir(join(full, '..'), { recursive: true });
      await writeFile(full, text);
    }
  }
  git(fx.ops, 'add', '-A');
  git(fx.ops, 'commit', '--quiet', '-m', message);
  return git(fx.ops, 'rev-parse', 'HEAD');
}

const remoteHead = () => git(fx.bare, 'rev-parse', 'main');
const remoteText = (path: string) => git(fx.bare, 'show', `main:${path}`);
const remoteBlob = (path: string) => git(fx.bare, 'rev-parse', `main:${path}`);
const commitCount = () => Number(git(fx.bare, 'rev-list', '--count', 'main'));
const merges = () => git(fx.bare, 'rev-list', '--merges', 'main');

function open(extra: Partial<ConfigRepoOptions> = {}): Promise<ConfigRepo> {
  return ConfigRepo.open({ url: fx.bare, dir: join(fx.dir, `clone-${++clones}`), env: process.env, ...extra });
}

/** The clone holds no local work: clean tree, HEAD at origin's tip, which is the remote's tip. */
function expectClean(repo: ConfigRepo, tip = remoteHead()): void {
  expect(git(repo.dir, 'status', '--porcelain', '--ignored')).toBe('');
  expect(git(repo.dir, 'rev-parse', 'HEAD')).toBe(tip);
  expect(git(repo.dir, 'rev-parse', 'refs/remotes/origin/main')).toBe(tip);
}

async function rejection(promise: Promise<unknown>): Promise<RepoError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(RepoError);
    return err as RepoError;
  }
  throw new Error('expected a RepoError');
}

beforeEach(async () => {
  fx = await fixture();
});
afterEach(async () => {
  await rm(fx.dir, { recursive: true, force: true });
});

describe('ConfigRepo', () => {
  describe('open, list and read', () => {
    beforeEach(async () => {
      await opsPush({ [WEATHER]: doc('weather', 1), [TICKETS]: doc('tickets', 1), 'configs/beta/search.yml': 'x: 1\n', 'README.md': '# configs\n' });
    });

    it('lists the documents with their blob shas when the clone is new', async () => {
      const repo = await open();
      expect(await repo.list()).toEqual([
        { path: TICKETS, tenant: 'acme', name: 'tickets', blob: remoteBlob(TICKETS) },
        { path: WEATHER, tenant: 'acme', name: 'weather', blob: remoteBlob(WEATHER) },
        { path: 'configs/beta/search.yml', tenant: 'beta', name: 'search', blob: remoteBlob('configs/beta/search.yml') },
      ]);
    });

    it('reads a file at the fetched tip when another clone pushed since open', async () => {
      const repo = await open();
      const sha = await opsPush({ [WEATHER]: doc('weather', 2) });
      expect(await repo.read(WEATHER)).toEqual({ text: doc('weather', 2), blob: remoteBlob(WEATHER), revision: `main@sha1:${sha}` });
      expect(await repo.read('configs/acme/missing.yaml')).toBeUndefined();
      expect((await repo.readTree()).map((f) => f.path)).toEqual([TICKETS, WEATHER, 'configs/beta/search.yml']);
    });

    it('reuses its clone when opened again on the same directory', async () => {
      const first = await open();
      const again = await ConfigRepo.open({ url: fx.bare, dir: first.dir });
      expect((await again.head())?.commit).toBe(remoteHead());
    });

    it('refuses a directory that holds something else when opened', async () => {
      const dir = join(fx.dir, 'busy');
      await mkdir(dir);
      await writeFile(join(dir, 'notes.txt'), 'mine\n');
      const err = await rejection(ConfigRepo.open({ url: fx.bare, dir }));
      expect(err.code).toBe('unavailable');
      expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('mine\n');
    });

    it('rejects a path outside configs/<tenant>/<name>.yaml when read', async () => {
      const repo = await open();
      for (const path of ['README.md', 'configs/../x.yaml', 'configs/a/b/c.yaml', '/etc/passwd']) {
        expect((await rejection(repo.read(path))).code).toBe('invalid');
      }
    });
  });

  it('creates the branch with the first save when the remote is empty', async () => {
    const repo = await open();
    expect(await repo.list()).toEqual([]);
    expect(await repo.head()).toBeUndefined();
    expect(await repo.log()).toEqual([]);
    const result = await repo.save({ path: WEATHER, text: doc('weather', 1), expectedBlob: null, author: ALICE, message: 'Create weather' });
    expect(result.attempts).toBe(1);
    expect(result.commit.commit).toBe(remoteHead());
    expect(remoteText(WEATHER)).toBe(doc('weather', 1).trim());
    expect((await repo.list()).map((f) => f.path)).toEqual([WEATHER]);
    expectClean(repo);
  });

  describe('save', () => {
    beforeEach(async () => {
      await opsPush({ [WEATHER]: doc('weather', 1), [TICKETS]: doc('tickets', 1) }, 'seed');
    });

    it('commits as the console user and pushes when a file is edited', async () => {
      const repo = await open({ committer: { name: 'Console', email: 'console@example.com' } });
      const before = await repo.read(WEATHER);
      const result = await repo.save({ path: WEATHER, text: doc('weather', 2), expectedBlob: before!.blob, author: ALICE, message: '#7 raise the limit' });
      expect(result.attempts).toBe(1);
      const sha = remoteHead();
      expect(result.commit).toMatchObject({ commit: sha, revision: `main@sha1:${sha}`, author: ALICE, message: '#7 raise the limit', files: [WEATHER] });
      expect(git(fx.bare, 'log', '-1', '--format=%an|%ae|%cn|%ce|%s', 'main')).toBe('Alice Admin|alice@example.com|Console|console@example.com|#7 raise the limit');
      expect(git(fx.bare, 'rev-parse', 'main~1')).toBe(before!.revision.split(':')[1]!);
      expect((await repo.read(WEATHER))?.text).toBe(doc('weather', 2));
      expectClean(repo);
    });

    it('refuses with a conflict naming who changed the file when the expected blob is stale', async () => {
      const repo = await open();
      const seen = await repo.read(WEATHER);
      const theirs = await opsPush({ [WEATHER]: doc('weather', 9) }, 'ops tweak');
      const err = await rejection(repo.save({ path: WEATHER, text: doc('weather', 2), expectedBlob: seen!.blob, author: ALICE, message: 'mine' }));
      expect(err.code).toBe('conflict');
      expect(err.message).toBe(`${WEATHER} was changed by Ops in ${theirs.slice(0, 7)} ("ops tweak") since you opened it; reload to see the current version`);
      expect(remoteHead()).toBe(theirs);
      expect(remoteText(WEATHER)).toBe(doc('weather', 9).trim());
      expectClean(repo);
    });

    it('commits exactly one of two concurrent saves of a file when both start from one blob', async () => {
      const repo = await open();
      const { blob } = (await repo.read(WEATHER))!;
      const before = commitCount();
      const results = await Promise.allSettled([
        repo.save({ path: WEATHER, text: doc('weather', 2), expectedBlob: blob, author: ALICE, message: 'alice' }),
        repo.save({ path: WEATHER, text: doc('weather', 3), expectedBlob: blob, author: BOB, message: 'bob' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((failed.reason as RepoError).code).toBe('conflict');
      expect(commitCount()).toBe(before + 1);
      expect(merges()).toBe('');
      expect(remoteText(WEATHER)).toBe(doc('weather', results[0].status === 'fulfilled' ? 2 : 3).trim());
      expectClean(repo);
    });

    it('commits exactly one of two racing saves of a file when two clones push at once', async () => {
      const [a, b] = await Promise.all([open(), open()]);
      const { blob } = (await a.read(WEATHER))!;
      const before = commitCount();
      // Both saves wait in validation until both have fetched and written: the push decides.
      let arrived = 0;
      let release!: () => void;
      const bothThere = new Promise<void>((r) => (release = r));
      const barrier = async () => {
        if (++arrived === 2) release();
        if (arrived <= 2) await bothThere;
        return [];
      };
      const results = await Promise.allSettled([
        a.save({ path: WEATHER, text: doc('weather', 2), expectedBlob: blob, author: ALICE, message: 'alice', validate: barrier }),
        b.save({ path: WEATHER, text: doc('weather', 3), expectedBlob: blob, author: BOB, message: 'bob', validate: barrier }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((failed.reason as RepoError).code).toBe('conflict');
      expect(commitCount()).toBe(before + 1);
      expect(merges()).toBe('');
      const winner = results[0].status === 'fulfilled' ? 2 : 3;
      expect(remoteText(WEATHER)).toBe(doc('weather', winner).trim());
      expectClean(a);
      expectClean(b);
    });

    it('retries the push after refetching when another file changed between fetch and push', async () => {
      const repo = await open();
      const { blob } = (await repo.read(WEATHER))!;
      const before = commitCount();
      const trees: string[][] = [];
      const result = await repo.save({
        path: WEATHER,
        text: doc('weather', 2),
        expectedBlob: blob,
        author: ALICE,
        message: 'alice',
        validate: async (tree) => {
          trees.push(tree.map((f) => f.text));
          if (trees.length === 1) await opsPush({ [TICKETS]: doc('tickets', 2) });
          return [];
        },
      });
      expect(result.attempts).toBe(2);
      expect(trees).toEqual([
        [doc('tickets', 1), doc('weather', 2)],
        [doc('tickets', 2), doc('weather', 2)],
      ]);
      expect(commitCount()).toBe(before + 2);
      expect(merges()).toBe('');
      expect(remoteText(TICKETS)).toBe(doc('tickets', 2).trim());
      expect(remoteText(WEATHER)).toBe(doc('weather', 2).trim());
      expect(result.commit.commit).toBe(remoteHead());
      expectClean(repo);
    });

    it('gives up with a push error when the branch keeps moving for maxPushAttempts', async () => {
      const repo = await open({ maxPushAttempts: 2 });
      const { blob } = (await repo.read(WEATHER))!;
      let n = 1;
      const err = await rejection(
        repo.save({
          path: WEATHER,
          text: doc('weather', 2),
          expectedBlob: blob,
          author: ALICE,
          message: 'alice',
          validate: async () => {
            await opsPush({ [TICKETS]: doc('tickets', ++n) });
            return [];
          },
        }),
      );
      expect(err.code).toBe('push');
      expect(err.message).toContain('2 times');
      expect(remoteText(WEATHER)).toBe(doc('weather', 1).trim());
      expect(git(fx.bare, 'log', '--format=%an', 'main')).not.toContain('Alice');
      // The remote moved once more after the last fetch: the clone is at the tip it last saw.
      expectClean(repo, git(fx.bare, 'rev-parse', 'main~1'));
    });

    it('refuses with a push error when the remote declines the push', async () => {
      const repo = await open();
      const { blob } = (await repo.read(WEATHER))!;
      const hook = join(fx.bare, 'hooks', 'pre-receive');
      await writeFile(hook, '#!/bin/sh\necho "protected branch" >&2\nexit 1\n');
      await chmod(hook, 0o755);
      const head = remoteHead();
      const err = await rejection(repo.save({ path: WEATHER, text: doc('weather', 2), expectedBlob: blob, author: ALICE, message: 'x' }));
      expect(err.code).toBe('push');
      expect(err.message).toContain('protected branch');
      expect(remoteHead()).toBe(head);
      expectClean(repo);
    });

    it('refuses an invalid change and leaves remote and clone as they were', async () => {
      const repo = await open();
      const { blob } = (await repo.read(WEATHER))!;
      const head = remoteHead();
      let seen: { path: string; text: string }[] = [];
      const validate = (tree: { path: string; text: string }[]) => {
        seen = tree;
        return ['configs/acme/weather.yaml:1:1: bad'];
      };
      const err = await rejection(repo.save({ path: WEATHER, text: 'broken: [', expectedBlob: blob, author: ALICE, message: 'x', validate }));
      expect(err.code).toBe('invalid');
      expect(err.issues).toEqual(['configs/acme/weather.yaml:1:1: bad']);
      expect(seen).toContainEqual({ path: WEATHER, text: 'broken: [' });
      const created = await rejection(
        repo.save({ path: 'configs/new/one.yaml', text: 'x: 1\n', expectedBlob: null, author: ALICE, message: 'x', validate: () => ['no'] }),
      );
      expect(created.code).toBe('invalid');
      const boom = new Error('validator crashed');
      const thrown = await repo
        .save({ path: WEATHER, text: 'x: 2\n', expectedBlob: blob, author: ALICE, message: 'x', validate: () => Promise.reject(boom) })
        .catch((err: unknown) => err);
      expect(thrown).toBe(boom);
      expect(remoteHead()).toBe(head);
      expectClean(repo);
      expect((await repo.read(WEATHER))?.text).toBe(doc('weather', 1));
    });

    it('deletes and creates files when asked, and refuses creating one that exists', async () => {
      const repo = await open();
      const { blob } = (await repo.read(TICKETS))!;
      const deleted = await repo.save({ path: TICKETS, text: null, expectedBlob: blob, author: ALICE, message: '' });
      expect(deleted.commit.message).toBe(`Delete ${TICKETS}`);
      expect(await repo.read(TICKETS)).toBeUndefined();
      const created = await repo.save({ path: 'configs/globex/maps.yml', text: 'a: 1\n', expectedBlob: null, author: BOB, message: 'maps' });
      expect(created.commit.files).toEqual(['configs/globex/maps.yml']);
      expect(git(fx.bare, 'ls-tree', '-r', '--name-only', 'main')).toBe(['configs/acme/weather.yaml', 'configs/globex/maps.yml'].join('\n'));
      const exists = await rejection(repo.save({ path: WEATHER, text: 'x: 1\n', expectedBlob: null, author: BOB, message: 'again' }));
      expect(exists.code).toBe('conflict');
      expect(exists.message).toContain(`${WEATHER} already exists`);
      expectClean(repo);
    });

    it('reports not_found when editing or deleting a missing file', async () => {
      const repo = await open();
      const { blob } = (await repo.read(TICKETS))!;
      await opsPush({ [TICKETS]: null }, 'drop tickets');
      const edit = await rejection(repo.save({ path: TICKETS, text: 'x: 1\n', expectedBlob: blob, author: ALICE, message: 'x' }));
      expect(edit.code).toBe('not_found');
      expect(edit.message).toContain('was deleted by Ops');
      const del = await rejection(repo.save({ path: 'configs/acme/none.yaml', text: null, expectedBlob: null, author: ALICE, message: 'x' }));
      expect(del.code).toBe('not_found');
    });

    it('returns the tip without committing when the text is unchanged', async () => {
      const repo = await open();
      const { blob } = (await repo.read(WEATHER))!;
      const head = remoteHead();
      const result = await repo.save({ path: WEATHER, text: doc('weather', 1), expectedBlob: blob, author: ALICE, message: 'noop' });
      expect(result).toMatchObject({ attempts: 0, commit: { commit: head } });
      expect(remoteHead()).toBe(head);
    });
  });

  describe('history', () => {
    let shas: string[];
    beforeEach(async () => {
      shas = [
        await opsCommit({ [TICKETS]: doc('tickets', 1) }, 'first'),
        await opsCommit({ [WEATHER]: 'a\nb\nc\n' }, 'second'),
        await opsCommit({ [TICKETS]: doc('tickets', 2) }, 'third'),
        await opsCommit({ [WEATHER]: 'a\nB\nc\nd\n' }, 'fourth'),
      ];
      git(fx.ops, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
    });

    it('lists commits newest first, all or those touching a path', async () => {
      const repo = await open();
      const all = await repo.log();
      expect(all.map((c) => c.message)).toEqual(['fourth', 'third', 'second', 'first']);
      expect(all[0]).toMatchObject({ commit: shas[3], revision: `main@sha1:${shas[3]}`, author: { name: 'Ops', email: 'ops@example.invalid' }, files: [WEATHER] });
      expect(all[0]!.date).toBeInstanceOf(Date);
      expect(Number.isNaN(all[0]!.date.getTime())).toBe(false);
      expect((await repo.log({ path: WEATHER })).map((c) => c.message)).toEqual(['fourth', 'second']);
      expect((await repo.log({ limit: 1 })).map((c) => c.message)).toEqual(['fourth']);
    });

    it('shows a file as it was at a commit, undefined where it did not exist', async () => {
      const repo = await open();
      expect(await repo.show(WEATHER, shas[1]!)).toBe('a\nb\nc\n');
      expect(await repo.show(WEATHER, shas[0]!.slice(0, 7))).toBeUndefined();
      expect((await rejection(repo.show(WEATHER, 'deadbeefdeadbeef'))).code).toBe('not_found');
      expect((await rejection(repo.show(WEATHER, 'HEAD'))).code).toBe('invalid');
    });

    it('parses the diff of a file between two commits with line numbers', async () => {
      const repo = await open();
      expect(await repo.diff(WEATHER, shas[1]!, shas[3]!)).toEqual([
        { kind: 'hunk', text: '@@ -1,3 +1,4 @@', oldLine: 1, newLine: 1 },
        { kind: 'ctx', text: 'a', oldLine: 1, newLine: 1 },
        { kind: 'del', text: 'b', oldLine: 2 },
        { kind: 'add', text: 'B', newLine: 2 },
        { kind: 'ctx', text: 'c', oldLine: 3, newLine: 3 },
        { kind: 'add', text: 'd', newLine: 4 },
      ]);
      expect(await repo.diff(TICKETS, shas[1]!, shas[3]!)).toHaveLength(5);
      expect(await repo.diff(WEATHER, shas[2]!, shas[1]!)).toEqual([]);
    });

    it('rolls back with a new commit when asked to restore an old version', async () => {
      const repo = await open();
      const { blob } = (await repo.read(WEATHER))!;
      const result = await repo.rollback({ path: WEATHER, commit: shas[1]!, expectedBlob: blob, author: ALICE });
      expect(result.commit.message).toBe(`Roll back ${WEATHER} to ${shas[1]!.slice(0, 7)}`);
      expect(result.commit.author).toEqual(ALICE);
      expect(remoteText(WEATHER)).toBe('a\nb\nc');
      expect(git(fx.bare, 'rev-list', 'main')).toBe([result.commit.commit, ...[...shas].reverse()].join('\n'));
      // Rolling back to before the file existed deletes it.
      const now = (await repo.read(WEATHER))!;
      await repo.rollback({ path: WEATHER, commit: shas[0]!, expectedBlob: now.blob, author: ALICE });
      expect(await repo.read(WEATHER)).toBeUndefined();
      expect(commitCount()).toBe(6);
      expect(merges()).toBe('');
      const stale = await rejection(repo.rollback({ path: WEATHER, commit: shas[1]!, expectedBlob: blob, author: ALICE }));
      expect(stale.code).toBe('not_found');
    });
  });

  it('reports the remote unavailable without its password when it cannot be reached', async () => {
    const err = await rejection(
      ConfigRepo.open({ url: 'https://admin:s3cr3t-pass@127.0.0.1:1/config.git', dir: join(fx.dir, 'clone-x'), timeoutMs: 5000 }),
    );
    expect(err.code).toBe('unavailable');
    expect(err.message).toContain('https://127.0.0.1:1/config.git');
    expect(err.message).not.toContain('s3cr3t');
    expect(String((err.cause as Error | undefined)?.message)).not.toContain('s3cr3t');
  });
});
