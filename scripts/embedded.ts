/**
 * The embedded default's config repository: a local bare git repo under the data dir, seeded once from
 * `config-repo/` so that the gateway follows it and the console commits to it like to any GitOps repo.
 * Shared by `scripts/start.ts` and the browser-test stack (`test/support/console-stack.ts`).
 *
 * Seeding never runs over an existing repository: once it exists it belongs to its users (their
 * console edits and pushes live there), so a later start only checks that it has the branch.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { gitEnvironment } from '../gateway/config/sources/git.ts';

/** The project's example config repository, the seed. */
export const CONFIG_REPO_SEED = resolve(import.meta.dir, '..', 'config-repo');

/** Who the seed commit is by: fixed, so the result never depends on the machine's git identity. */
export const SEED_IDENTITY = { name: 'MCP Gateway', email: 'mcp-gateway@localhost' } as const;

export const SEED_MESSAGE = 'Seed the config repository from config-repo/ (embedded default)';

/** Never copied into the seed: dependencies and VCS metadata of the source tree. */
const SKIPPED = new Set(['.git', 'node_modules']);

export interface EnsureConfigRepoOptions {
  /** Where the bare repository lives, e.g. `.data/config.git`. */
  path: string;
  /** Branch the gateway follows and the console commits to. Default `main`. */
  branch?: string;
  /** The directory whose files make the first commit. Default: the project's `config-repo/`. */
  seed?: string;
  /**
   * Changes a file's text before it is committed (path relative to the seed, `/`-separated). The test
   * stack uses it to point the sample configs at a demo backend on another port.
   */
  rewrite?: (path: string, text: string) => string;
}

export interface ConfigRepoInfo {
  /** Absolute path of the bare repository. */
  path: string;
  branch: string;
  /** True when this call created and seeded it. */
  created: boolean;
  /** Commit at the tip of the branch. */
  head: string;
}

/**
 * Makes sure a bare config repository exists at `path`: on the first call it is created with one
 * commit holding every file of `seed`; later calls leave it untouched and return its branch tip.
 * Throws when `path` exists but is not a repository with that branch (it is never overwritten).
 */
export async function ensureConfigRepo(opts: EnsureConfigRepoOptions): Promise<ConfigRepoInfo> {
  const path = resolve(opts.path);
  const branch = opts.branch ?? 'main';
  if (existsSync(path)) return { path, branch, created: false, head: existingHead(path, branch) };

  await mkdir(dirname(path), { recursive: true });
  // Built beside the target and renamed into place, so an interrupted seed never leaves a half repo
  // that a later start would take for the user's.
  const staging = `${path}.seeding-${randomBytes(4).toString('hex')}`;
  const work = await mkdtemp(join(tmpdir(), 'mcp-config-seed-'));
  try {
    await copySeed(resolve(opts.seed ?? CONFIG_REPO_SEED), work, opts.rewrite);
    git(work, ['init', '-q']);
    git(work, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    git(work, ['add', '-A']);
    git(work, ['commit', '-q', '-m', SEED_MESSAGE]);
    git(dirname(path), ['init', '-q', '--bare', staging]);
    git(staging, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
    git(work, ['push', '-q', staging, `HEAD:refs/heads/${branch}`]);
    try {
      await rename(staging, path);
    } catch (err) {
      // Another start seeded it meanwhile: theirs wins, ours goes.
      if (!existsSync(path)) throw err;
      return { path, branch, created: false, head: existingHead(path, branch) };
    }
    return { path, branch, created: true, head: existingHead(path, branch) };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  }
}

/** Copies the seed tree file by file, applying `rewrite`; dependency and VCS folders stay behind. */
async function copySeed(from: string, to: string, rewrite: EnsureConfigRepoOptions['rewrite']): Promise<void> {
  const entries = await readdir(from, { recursive: true, withFileTypes: true });
  if (entries.length === 0) throw new Error(`config repo seed ${from} is empty`);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const source = join(entry.parentPath, entry.name);
    const rel = relative(from, source).split(sep).join('/');
    if (rel.split('/').some((part) => SKIPPED.has(part))) continue;
    const target = join(to, rel);
    await mkdir(dirname(target), { recursive: true });
    if (rewrite) await writeFile(target, rewrite(rel, await readFile(source, 'utf8')));
    else await cp(source, target);
  }
}

/** The branch tip of an existing repository, or a clear error naming it. */
function existingHead(path: string, branch: string): string {
  try {
    return git(path, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
  } catch {
    throw new Error(`${path} exists but is not a git repository with a branch "${branch}"; move it away to start from the sample configs again`);
  }
}

/**
 * Runs git with the gateway's hardened environment (no ambient `GIT_*` variables, no prompts), the
 * machine's global and system config ignored, and a fixed identity, so a seed is the same everywhere.
 */
export function git(cwd: string, args: string[]): string {
  const env = {
    ...gitEnvironment({ env: process.env, credentials: undefined, askpassPath: '' }),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: SEED_IDENTITY.name,
    GIT_AUTHOR_EMAIL: SEED_IDENTITY.email,
    GIT_COMMITTER_NAME: SEED_IDENTITY.name,
    GIT_COMMITTER_EMAIL: SEED_IDENTITY.email,
  };
  const settings = ['core.hooksPath=/dev/null', 'commit.gpgSign=false', 'core.autocrlf=false', 'core.excludesFile=/dev/null', 'init.defaultBranch=main'];
  const r = Bun.spawnSync(['git', ...settings.flatMap((s) => ['-c', s]), ...args], { cwd, env, stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} (in ${cwd}): ${r.stderr.toString().trim() || `exit code ${r.exitCode}`}`);
  return r.stdout.toString().trim();
}

/** Checks out the branch tip of a (bare) repository into a fresh temp dir; the caller removes it. */
export async function checkoutTip(repo: string, branch = 'main'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-config-tip-'));
  git(dir, ['clone', '-q', '--no-hardlinks', '--branch', branch, resolve(repo), '.']);
  return dir;
}

