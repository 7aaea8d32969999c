import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { loadAndValidate } from '../gateway/config/validate.ts';
import { CONFIG_REPO_SEED, checkoutTip, ensureConfigRepo, git, SEED_IDENTITY, SEED_MESSAGE } from './embedded.ts';

/** Every file under `dir` except VCS and dependency folders, `/`-separated and sorted. */
async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((p) => !p.split('/').some((part) => part === '.git' || part === 'node_modules'))
    .sort();
}

describe('embedded config repo', () => {
  let dataDir: string;
  let repo: string;
  const checkouts: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'embedded-'));
    repo = join(dataDir, 'config.git');
  });

  afterAll(async () => {
    for (const dir of [dataDir, ...checkouts]) await rm(dir, { recursive: true, force: true });
  });

  it('seeds a bare repo whose main holds every file of config-repo/ in one neutral commit on first start', async () => {
    const info = await ensureConfigRepo({ path: repo });
    expect(info).toMatchObject({ path: repo, branch: 'main', created: true });
    expect(git(repo, ['rev-parse', '--is-bare-repository'])).toBe('true');
    expect(git(repo, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    expect(git(repo, ['rev-list', '--count', 'main'])).toBe('1');
    expect(git(repo, ['log', '-1', '--format=%an <%ae>|%cn <%ce>|%s', 'main'])).toBe(
      `${SEED_IDENTITY.name} <${SEED_IDENTITY.email}>|${SEED_IDENTITY.name} <${SEED_IDENTITY.email}>|${SEED_MESSAGE}`,
    );
    // Nothing of the seeding is left beside it.
    expect(await readdir(dataDir)).toEqual(['config.git']);

    const tip = await checkoutTip(repo);
    checkouts.push(tip);
    const seeded = await files(tip);
    expect(seeded).toEqual(await files(CONFIG_REPO_SEED));
    expect(seeded).toEqual(expect.arrayContaining(['README.md', 'package.json', 'test/configs.test.ts', 'schema/mcp-config.schema.json', 'configs/demo/users.yaml']));
    for (const file of seeded) {
      expect(await readFile(join(tip, file), 'utf8')).toBe(await readFile(join(CONFIG_REPO_SEED, file), 'utf8'));
    }
  });

  it('seeds configs that pass the gateway validator', async () => {
    const tip = await checkoutTip(repo);
    checkouts.push(tip);
    const { configs, issues } = await loadAndValidate(tip);
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(configs.length).toBeGreaterThan(0);
  });

  it('leaves an existing repo untouched, edits included, on later starts', async () => {
    const work = await mkdtemp(join(tmpdir(), 'embedded-work-'));
    checkouts.push(work);
    git(work, ['clone', '-q', repo, '.']);
    await writeFile(join(work, 'configs', 'demo', 'users.yaml'), '# edited in the console\n');
    git(work, ['commit', '-qam', 'an edit']);
    git(work, ['push', '-q', 'origin', 'main']);
    const edited = git(repo, ['rev-parse', 'main']);

    const again = await ensureConfigRepo({ path: repo });
    expect(again).toEqual({ path: repo, branch: 'main', created: false, head: edited });
    expect(git(repo, ['rev-list', '--count', 'main'])).toBe('2');
  });

  it('applies rewrite to the seeded files', async () => {
    const other = join(dataDir, 'rewritten.git');
    await ensureConfigRepo({ path: other, rewrite: (path, text) => (path.startsWith('configs/') ? text.replaceAll('127.0.0.1:5236', '127.0.0.1:1') : text) });
    const tip = await checkoutTip(other);
    checkouts.push(tip);
    const users = await readFile(join(tip, 'configs', 'demo', 'users.yaml'), 'utf8');
    expect(users).toContain('http://127.0.0.1:1');
    expect(users).not.toContain('127.0.0.1:5236');
  });

  it('refuses a path that exists but is not a repository with the branch, and leaves it as it is', async () => {
    const stray = join(dataDir, 'stray.git');
    await mkdir(stray);
    await writeFile(join(stray, 'keep.txt'), 'mine');
    await expect(ensureConfigRepo({ path: stray })).rejects.toThrow(`${stray} exists but is not a git repository with a branch "main"`);
    expect(await readdir(stray)).toEqual(['keep.txt']);
  });
});
