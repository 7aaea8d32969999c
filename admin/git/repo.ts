/**
 * The console's only write path: a clone of the config repo that belongs to the admin, through which
 * every change becomes a commit on the branch (configs/<tenant>/<name>.yaml), pushed fast-forward only.
 *
 * Every operation starts by fetching the branch and hard-resetting the clone to `origin/<branch>`: the
 * clone never holds local work, so whatever fails, the next operation (and the failed one on its way
 * out) leaves it exactly at origin's tip. A save is optimistic concurrency on the file's blob sha: the
 * editor sends the blob it rendered, the save refuses when the tip holds another one (a 409 with who
 * changed it), and a push rejected because the branch moved meanwhile is retried after refetching and
 * re-checking, never merged, so history stays linear and a concurrent edit of the same file is never
 * overwritten. Operations of one clone directory run one at a time (an in-process mutex); two
 * processes or machines with their own clones are kept apart by the push itself.
 *
 * Git runs as the gateway's git source runs it (no prompts, credentials only through askpass, every
 * command killed after a silence), see `client.ts`.
 */
import { chmod, lstat, mkdir, readdir, readFile, realpath, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { ASKPASS_SCRIPT, checkBranch, DEFAULT_GIT_TIMEOUT_MS, type GitCredentials, gitCredentials, remoteUrl } from '../../gateway/config/sources/git.ts';
import { redactUrl } from '../../gateway/config/sources/source.ts';
import { errorText, gitClient, summarize } from './client.ts';
import { type DiffLine, parseUnifiedDiff } from './diff.ts';
import { KeyedMutex, type Mutex } from './mutex.ts';

export type { DiffLine } from './diff.ts';

/** A person as git records them. */
export interface GitAuthor {
  name: string;
  email: string;
}

export interface ConfigRepoOptions {
  /** The config repo: any URL or path git understands; credentials in an https URL go through askpass. */
  url: string;
  /** Default `main`. */
  branch?: string;
  /** The admin's own clone; created when missing or empty. Nothing else may work in it. */
  dir: string;
  /** Milliseconds a git command may stay silent before it is killed; default 60 s. */
  timeoutMs?: number;
  /** The environment git runs with and credentials are read from (`GATEWAY_GIT_*`); default `process.env`. */
  env?: Record<string, string | undefined>;
  /** The committer of every commit; default `MCP gateway admin <admin@localhost>`. */
  committer?: GitAuthor;
  /** Pushes tried per save when the branch keeps moving; default 5. */
  maxPushAttempts?: number;
}

/** One config document at the branch tip. */
export interface ConfigFile {
  /** `configs/<tenant>/<name>.yaml` (or `.yml`). */
  path: string;
  tenant: string;
  name: string;
  /** The git blob sha of the file at the tip: what a save's `expectedBlob` is compared with. */
  blob: string;
}

export interface CommitInfo {
  /** Full sha. */
  commit: string;
  /** `<branch>@sha1:<sha>`, the way the gateway names revisions. */
  revision: string;
  author: GitAuthor;
  /** Author date. */
  date: Date;
  /** Subject line. */
  message: string;
  /** Files the commit changed (for a merge: against its first parent). */
  files?: string[];
}

export interface SaveChange {
  path: string;
  /** New text; `null` deletes the file. */
  text: string | null;
  /** Blob sha the editor saw; `null`: the file must not exist yet (create). */
  expectedBlob: string | null;
  /** The console user: the commit's author. */
  author: GitAuthor;
  /** Commit subject; a blank one becomes `Update <path>` (or Create, Delete). */
  message: string;
  /**
   * Checks the whole revision the commit would make: every `configs/**` YAML file after the change.
   * Returns error messages; any refuses the save (`RepoError('invalid', issues)`). Runs again on each
   * push retry, against the refetched tip.
   */
  validate?: (tree: { path: string; text: string }[]) => string[] | Promise<string[]>;
}

export interface SaveResult {
  /** The new commit, or for a change that changes nothing the current tip (no commit made). */
  commit: CommitInfo;
  /** Pushes it took; 0 when there was nothing to commit. */
  attempts: number;
}

export type RepoErrorCode = 'conflict' | 'invalid' | 'not_found' | 'push' | 'unavailable';

/**
 * A failed repo operation. `conflict`: the file changed since the editor read it (HTTP 409);
 * `invalid`: a bad path, author or commit, or a revision that does not validate (`issues`); `not_found`:
 * no such file or commit; `push`: the remote refused the commit; `unavailable`: git or the remote failed.
 * The message names the file or repo and never holds credentials.
 */
export class RepoError extends Error {
  override readonly name = 'RepoError';
  constructor(
    readonly code: RepoErrorCode,
    message: string,
    readonly issues?: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const DEFAULT_COMMITTER: GitAuthor = { name: 'MCP gateway admin', email: 'admin@localhost' };
const DEFAULT_LOG_LIMIT = 100;
/** A config document's path, as the loader reads them (dot-files are ignored there). */
const CONFIG_PATH = /^configs\/([^/.][^/]*)\/([^/.][^/]*)\.ya?ml$/;
const YAML = /\.ya?ml$/;
const COMMIT_REF = /^[0-9a-f]{4,64}$/i;
/** git's words for a push refused because the branch moved (or moved while we pushed): retried. */
const BRANCH_MOVED = /\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref|incorrect old value|stale info/i;
const LOG_FORMAT = '--format=%x1e%H%x1f%an%x1f%ae%x1f%aI%x1f%s';

/** Every clone directory has one lock in the process, however many instances open it. */
const LOCKS = new KeyedMutex();

/** The admin's clone of the config repo: reads at the fetched tip, and saves as pushed commits. */
export class ConfigRepo {
  readonly branch: string;
  /** The clone directory (absolute). */
  readonly dir: string;
  /** The remote URL without credentials, safe to show. */
  readonly url: string;
  private readonly remote: string;
  private readonly credentials: GitCredentials | undefined;
  private readonly maxPushAttempts: number;
  private readonly git: SimpleGit;
  private readonly lock: Mutex;
  /** origin's tip after the last fetch; undefined while the branch has no commits. */
  private tip: string | undefined;

  private constructor(opts: ConfigRepoOptions, branch: string, committer: GitAuthor) {
    this.branch = branch;
    this.dir = resolve(opts.dir);
    this.url = redactUrl(opts.url);
    this.remote = remoteUrl(opts.url);
    const env = opts.env ?? process.env;
    this.credentials = gitCredentials(opts.url, env);
    this.maxPushAttempts = Math.max(1, Math.floor(opts.maxPushAttempts ?? 5));
    this.lock = LOCKS.for(this.dir);
    this.git = gitClient({
      dir: this.dir,
      env,
      credentials: this.credentials,
      askpassPath: this.askpassPath(),
      ceiling: dirname(this.dir),
      committer,
      timeoutMs: opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS,
    });
  }

  /**
   * Clones into `dir` when it is missing or empty, else checks that it is a clone of `url` (refusing
   * anything else: a reset would destroy work there); then fetches. The remote may have no commits yet.
   */
  static async open(opts: ConfigRepoOptions): Promise<ConfigRepo> {
    const branch = opts.branch ?? 'main';
    const bad = checkBranch(branch);
    if (bad) throw new RepoError('invalid', `config repo ${redactUrl(opts.url)}: ${bad}`);
    const committer = checkPerson(opts.committer ?? DEFAULT_COMMITTER, 'committer');
    // simple-git wants its directory to exist before any command.
    await mkdir(resolve(opts.dir), { recursive: true }).catch((err: unknown) => {
      throw new RepoError('unavailable', `config repo ${redactUrl(opts.url)}: cannot create ${resolve(opts.dir)}: ${errorText(err)}`);
    });
    const repo = new ConfigRepo(opts, branch, committer);
    await repo.lock.run(() => repo.prepare());
    return repo;
  }

  /** Config documents (`configs/<tenant>/<name>.yaml|yml`) at the freshly fetched tip, sorted by path. */
  async list(): Promise<ConfigFile[]> {
    return this.lock.run(async () => {
      await this.sync();
      if (!this.tip) return [];
      const out: ConfigFile[] = [];
      for (const entry of await this.lsTree(this.tip, ['configs'], true)) {
        const m = CONFIG_PATH.exec(entry.path);
        if (m) out.push({ path: entry.path, tenant: m[1]!, name: m[2]!, blob: entry.blob });
      }
      return out.sort((a, b) => compare(a.path, b.path));
    });
  }

  /** A file at the freshly fetched tip, with its blob sha and the tip's revision; undefined if absent. */
  async read(path: string): Promise<{ text: string; blob: string; revision: string } | undefined> {
    const file = checkPath(path);
    return this.lock.run(async () => {
      await this.sync();
      if (!this.tip) return undefined;
      const blob = await this.blobAt(this.tip, file);
      if (!blob) return undefined;
      return { text: await this.run(['cat-file', 'blob', blob]), blob, revision: this.revision(this.tip) };
    });
  }

  /** Every `configs/**` YAML file at the freshly fetched tip, sorted by path (whole-revision validation). */
  async readTree(): Promise<{ path: string; text: string }[]> {
    return this.lock.run(async () => {
      await this.sync();
      return this.workTree();
    });
  }

  /**
   * Commits one file change as `change.author` and pushes it. Refuses (`conflict`) when the file's blob
   * at the tip is not `expectedBlob`, or exists when `expectedBlob` is null; `not_found` when editing or
   * deleting a missing file; `invalid` when `validate` finds issues. A push refused because the branch
   * moved is retried from a fresh fetch, re-checking and re-validating, up to `maxPushAttempts`.
   * A change that changes nothing makes no commit: the result is the current tip with `attempts: 0`.
   * On any failure the remote is untouched and the clone is back at origin's tip.
   */
  async save(change: SaveChange): Promise<SaveResult> {
    const path = checkPath(change.path);
    const author = checkPerson(change.author, 'author');
    checkBlob(change.expectedBlob);
    const verb = change.text === null ? 'Delete' : change.expectedBlob === null ? 'Create' : 'Update';
    const message = change.message.trim() === '' ? `${verb} ${path}` : change.message;
    return this.lock.run(() =>
      this.commitChange({ path, text: change.text, expectedBlob: change.expectedBlob, author, message, validate: change.validate }),
    );
  }

  /** Commits on the branch, newest first (default at most 100); with `path`, those that touched it. */
  async log(opts: { path?: string; limit?: number } = {}): Promise<CommitInfo[]> {
    const path = opts.path === undefined ? undefined : checkPath(opts.path);
    const limit = opts.limit ?? DEFAULT_LOG_LIMIT;
    if (!Number.isInteger(limit) || limit < 1) throw new RepoError('invalid', `log limit must be a positive integer, not ${limit}`);
    return this.lock.run(async () => {
      await this.sync();
      if (!this.tip) return [];
      const args = ['log', LOG_FORMAT, '--name-only', '--diff-merges=first-parent', `--max-count=${limit}`, this.tip];
      // --full-diff: list every file of a commit, not only the one asked about.
      if (path) args.push('--full-diff', '--', path);
      return this.parseLog(await this.run(args));
    });
  }

  /** A file's text at a commit; undefined when the file did not exist there. */
  async show(path: string, commit: string): Promise<string | undefined> {
    const file = checkPath(path);
    return this.lock.run(async () => this.textAt(await this.resolveCommit(commit), file));
  }

  /** The change to one file between two commits, parsed for rendering; empty when it did not change. */
  async diff(path: string, from: string, to: string): Promise<DiffLine[]> {
    const file = checkPath(path);
    return this.lock.run(async () => {
      const a = await this.resolveCommit(from);
      const b = await this.resolveCommit(to);
      const text = await this.run(['diff', '--no-color', '--no-ext-diff', '--no-textconv', '--no-renames', '-U3', a, b, '--', file]);
      return parseUnifiedDiff(text);
    });
  }

  /**
   * A new commit that restores `path` as it was at `commit` (deleting it if it did not exist there),
   * checked against `expectedBlob` like a save; history is never rewritten. Message
   * `Roll back <path> to <short sha>`. Nothing to restore: the current tip, `attempts: 0`.
   * `validate` (an addition) checks the resulting revision as in `save`.
   */
  async rollback(opts: {
    path: string;
    commit: string;
    expectedBlob: string | null;
    author: GitAuthor;
    validate?: SaveChange['validate'];
  }): Promise<SaveResult> {
    const path = checkPath(opts.path);
    const author = checkPerson(opts.author, 'author');
    checkBlob(opts.expectedBlob);
    return this.lock.run(async () => {
      const commit = await this.resolveCommit(opts.commit);
      const text = (await this.textAt(commit, path)) ?? null;
      const message = `Roll back ${path} to ${commit.slice(0, 7)}`;
      return this.commitChange({ path, text, expectedBlob: opts.expectedBlob, author, message, validate: opts.validate, rollback: true });
    });
  }

  /** The branch tip after a fetch; undefined while the branch has no commits. */
  async head(): Promise<CommitInfo | undefined> {
    return this.lock.run(async () => {
      await this.sync();
      return this.tip ? this.commitInfo(this.tip) : undefined;
    });
  }

  // --- the save loop ---------------------------------------------------------------------------------

  private async commitChange(change: {
    path: string;
    text: string | null;
    expectedBlob: string | null;
    author: GitAuthor;
    message: string;
    validate: SaveChange['validate'];
    rollback?: boolean;
  }): Promise<SaveResult> {
    const { path, text } = change;
    const full = join(this.dir, path);
    let touched = false;
    try {
      for (let attempt = 1; ; attempt++) {
        await this.sync();
        const current = this.tip ? await this.blobAt(this.tip, path) : undefined;
        await this.checkExpected(path, current, change.expectedBlob, text === null && !change.rollback);
        const unchanged = current === undefined ? text === null : text !== null && (await readFile(full, 'utf8')) === text;
        if (unchanged) {
          if (!this.tip) throw new RepoError('not_found', `${path} not found`);
          return { commit: await this.commitInfo(this.tip), attempts: 0 };
        }

        touched = true;
        if (text === null) {
          await this.run(['rm', '--force', '--', path]);
        } else {
          await mkdir(dirname(full), { recursive: true });
          await writeFile(full, text);
          // --force: an ignore rule (the repo's or the machine's) must not keep a config out of the commit.
          await this.run(['add', '--force', '--verbose', '--', path]);
        }
        if (change.validate) {
          const tree = await this.workTree();
          let issues: string[];
          try {
            issues = await change.validate(tree);
          } catch (err) {
            // The caller's own failure, passed on as it is.
            throw new PassThrough(err);
          }
          if (issues.length > 0) throw new RepoError('invalid', `${path}: the change does not validate (${issues.length} issue${issues.length === 1 ? '' : 's'})`, issues);
        }
        const author = `${change.author.name} <${change.author.email}>`;
        // --cleanup=whitespace: keep a subject such as "#42 …" that the default cleanup would strip.
        await this.run(['commit', '--no-verify', '--cleanup=whitespace', `--author=${author}`, '-m', change.message]);
        const commit = (await this.run(['rev-parse', '--verify', 'HEAD'])).trim();
        if (commit === this.tip) throw new RepoError('unavailable', `config repo ${this.url}: commit of ${path} failed`);

        if (await this.push()) {
          this.tip = commit;
          touched = false;
          return { commit: await this.commitInfo(commit), attempts: attempt };
        }
        if (attempt >= this.maxPushAttempts) {
          throw new RepoError('push', `config repo ${this.url}: push to ${this.branch} refused ${attempt} times because the branch kept moving; try again`);
        }
      }
    } catch (err) {
      // The original error is the one to report; the next operation resets the clone anyway.
      if (touched) await this.restore().catch(() => undefined);
      if (err instanceof PassThrough) throw err.error;
      throw this.unavailable(err);
    }
  }

  /** Throws unless the file's blob at the tip is what the editor saw. */
  private async checkExpected(path: string, current: string | undefined, expected: string | null, deleting: boolean): Promise<void> {
    if (expected === null) {
      if (current !== undefined) {
        throw new RepoError('conflict', `${path} already exists (last changed${await this.lastChange(path)}); reload to see the current version`);
      }
      if (deleting) throw new RepoError('not_found', `${path} not found`);
      return;
    }
    if (current === undefined) {
      const by = this.tip ? await this.lastChange(path) : '';
      throw new RepoError('not_found', by ? `${path} was deleted${by} since you opened it` : `${path} not found`);
    }
    if (current !== expected.toLowerCase()) {
      throw new RepoError('conflict', `${path} was changed${await this.lastChange(path)} since you opened it; reload to see the current version`);
    }
  }

  /** ` by <author> in <short sha> ("<subject>")` for the last commit at the tip that touched `path`. */
  private async lastChange(path: string): Promise<string> {
    if (!this.tip) return '';
    const out = (await this.run(['log', '-1', '--format=%h%x1f%an%x1f%s', this.tip, '--', path])).trim();
    const [sha, name, subject] = out.split('\x1f');
    return sha && name !== undefined ? ` by ${name} in ${sha} (${JSON.stringify(subject ?? '')})` : '';
  }

  /** true when pushed; false when refused because the branch moved (retry); throws on anything else. */
  private async push(): Promise<boolean> {
    try {
      await this.git.raw(['push', '--no-verify', 'origin', `HEAD:refs/heads/${this.branch}`]);
      return true;
    } catch (err) {
      if (BRANCH_MOVED.test(errorText(err))) return false;
      throw new RepoError('push', `config repo ${this.url}: push to ${this.branch} failed: ${this.summary(err)}`, undefined, {
        cause: new Error(this.summary(err)),
      });
    }
  }

  // --- the clone -------------------------------------------------------------------------------------

  private async prepare(): Promise<void> {
    try {
      if ((await readdir(this.dir)).length === 0) {
        await this.run(['init', `--initial-branch=${this.branch}`]);
        await this.run(['remote', 'add', 'origin', this.remote]);
      } else {
        await this.checkClone();
        const head = (await this.run(['symbolic-ref', '--quiet', 'HEAD'])).trim();
        if (head !== `refs/heads/${this.branch}`) await this.run(['symbolic-ref', 'HEAD', `refs/heads/${this.branch}`]);
      }
      // Highest-precedence attributes: the work tree holds the blobs' exact bytes (no eol conversion,
      // no filters), so what validation reads from disk is what the commit holds.
      await mkdir(join(this.dir, '.git', 'info'), { recursive: true });
      await writeFile(join(this.dir, '.git', 'info', 'attributes'), '* -text -filter -ident -working-tree-encoding\n');
      await this.writeAskpass();
      await this.sync();
      // A crash mid-save may have left a file git does not know about.
      await this.restore();
    } catch (err) {
      if (err instanceof RepoError) throw err;
      throw this.unavailable(err);
    }
  }

  /** Refuses a directory that is not a clone of our URL: resetting it could destroy someone's work. */
  private async checkClone(): Promise<void> {
    const refuse = (): RepoError =>
      new RepoError('unavailable', `config repo ${this.url}: ${this.dir} is not empty and not a clone of it; remove it or choose another directory`);
    const dotGit = await lstat(join(this.dir, '.git')).catch(() => undefined);
    if (!dotGit?.isDirectory()) throw refuse();
    const top = (await this.run(['rev-parse', '--show-toplevel']).catch(() => '')).trim();
    if (top === '' || (await realpath(top)) !== (await realpath(this.dir))) throw refuse();
    const origin = (await this.run(['config', '--get', 'remote.origin.url']).catch(() => '')).trim();
    if (origin !== this.remote) throw refuse();
  }

  private askpassPath(): string {
    return join(this.dir, '.git', 'admin-askpass.sh');
  }

  /** The askpass script (it holds no secret: git reads the credentials from its environment). */
  private async writeAskpass(): Promise<void> {
    if (!this.credentials) return;
    const temp = `${this.askpassPath()}.tmp`;
    await writeFile(temp, ASKPASS_SCRIPT, { mode: 0o700 });
    await chmod(temp, 0o700);
    await rename(temp, this.askpassPath());
  }

  /**
   * Fetches the branch and hard-resets the clone to it. A branch the remote does not have (an empty
   * repository) leaves an unborn branch and an empty tree, ready for a first commit.
   */
  private async sync(): Promise<void> {
    const tracking = `refs/remotes/origin/${this.branch}`;
    try {
      // --verbose: simple-git waits 50 ms longer for a command that prints nothing.
      await this.git.raw(['fetch', '--verbose', '--no-tags', '--no-recurse-submodules', 'origin', `+refs/heads/${this.branch}:${tracking}`]);
    } catch (err) {
      if (!/couldn't find remote ref|could not find remote ref/i.test(errorText(err))) throw this.unavailable(err);
      this.tip = undefined;
      await this.restore();
      return;
    }
    this.tip = (await this.run(['rev-parse', '--verify', `${tracking}^{commit}`])).trim();
    await this.run(['reset', '--hard', this.tip]);
  }

  /** Back to the last fetched tip (or an unborn branch), with nothing else in the work tree; no network. */
  private async restore(): Promise<void> {
    if (this.tip) await this.run(['reset', '--hard', this.tip]);
    // The header line is always there, so this never costs simple-git's wait for a silent command.
    const [header = '', ...dirt] = (await this.run(['status', '--porcelain=v1', '--branch', '--ignored', '--untracked-files=all']))
      .split('\n')
      .filter((l) => l !== '');
    let dirty = dirt.length > 0;
    if (!this.tip && !/^## (No commits yet|Initial commit) on /.test(header)) {
      // The remote has no such branch (any more): neither do we.
      await this.run(['update-ref', '-d', `refs/heads/${this.branch}`]);
      await this.run(['read-tree', '--empty']);
      dirty = true;
    } else if (!this.tip && dirt.some((l) => !l.startsWith('??') && !l.startsWith('!!'))) {
      // Staged files of a first commit that was never pushed.
      await this.run(['read-tree', '--empty']);
    }
    if (dirty) await this.run(['clean', '-ffdx']);
  }

  // --- reading ---------------------------------------------------------------------------------------

  /** Every `configs/**` YAML file of the work tree (the tip, or the tip plus a change being saved). */
  private async workTree(): Promise<{ path: string; text: string }[]> {
    const paths = (await this.run(['ls-files', '-z', '--', 'configs']))
      .split('\0')
      .filter((p) => YAML.test(p))
      .sort(compare);
    return Promise.all(paths.map(async (path) => ({ path, text: await readFile(join(this.dir, path), 'utf8') })));
  }

  /** Regular files (not links, not submodules) among `paths` at `commit`. */
  private async lsTree(commit: string, paths: string[], recursive: boolean): Promise<{ path: string; blob: string }[]> {
    const out = await this.run(['ls-tree', ...(recursive ? ['-r'] : []), '-z', '--full-tree', commit, '--', ...paths]);
    const entries: { path: string; blob: string }[] = [];
    for (const record of out.split('\0')) {
      const m = /^(100644|100755) blob ([0-9a-f]{40,64})\t(.+)$/s.exec(record);
      if (m) entries.push({ path: m[3]!, blob: m[2]! });
    }
    return entries;
  }

  private async blobAt(commit: string, path: string): Promise<string | undefined> {
    // `configs` too: its tree entry makes git print something even when the file is missing, which
    // spares simple-git's extra wait for silent commands.
    return (await this.lsTree(commit, [path, 'configs'], false)).find((e) => e.path === path)?.blob;
  }

  private async textAt(commit: string, path: string): Promise<string | undefined> {
    const blob = await this.blobAt(commit, path);
    return blob === undefined ? undefined : this.run(['cat-file', 'blob', blob]);
  }

  /** The full sha of a commit given as hex; fetches once when the clone does not have it yet. */
  private async resolveCommit(ref: string): Promise<string> {
    if (!COMMIT_REF.test(ref)) throw new RepoError('invalid', `invalid commit ${JSON.stringify(ref)} (expected a hex sha)`);
    // --quiet: a missing commit exits 1 without a word, which simple-git returns as empty output.
    const lookup = async (): Promise<string> => (await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
    let sha = await lookup();
    if (sha === '') {
      await this.sync();
      sha = await lookup();
    }
    if (!/^[0-9a-f]{40,64}$/.test(sha)) throw new RepoError('not_found', `commit ${ref} not found in ${this.url}`);
    return sha;
  }

  private async commitInfo(commit: string): Promise<CommitInfo> {
    const [info] = this.parseLog(await this.run(['log', '-1', LOG_FORMAT, '--name-only', '--diff-merges=first-parent', commit]));
    if (!info) throw new RepoError('not_found', `commit ${commit} not found in ${this.url}`);
    return info;
  }

  private parseLog(out: string): CommitInfo[] {
    const commits: CommitInfo[] = [];
    for (const record of out.split('\x1e').slice(1)) {
      const [meta = '', ...files] = record.split('\n');
      const [commit = '', name = '', email = '', date = '', message = ''] = meta.split('\x1f');
      commits.push({
        commit,
        revision: this.revision(commit),
        author: { name, email },
        date: new Date(date),
        message,
        files: files.filter((f) => f !== ''),
      });
    }
    return commits;
  }

  private revision(commit: string): string {
    return `${this.branch}@${commit.length === 64 ? 'sha256' : 'sha1'}:${commit}`;
  }

  // --- git -------------------------------------------------------------------------------------------

  /** Runs git; a failure becomes `RepoError('unavailable')` with git's reason, credentials removed. */
  private async run(args: string[]): Promise<string> {
    try {
      return await this.git.raw(args);
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  private summary(err: unknown): string {
    return summarize(err, [this.credentials?.password]);
  }

  private unavailable(err: unknown): RepoError {
    if (err instanceof RepoError) return err;
    const summary = this.summary(err);
    return new RepoError('unavailable', `config repo ${this.url}: ${summary}`, undefined, { cause: new Error(summary) });
  }
}

/** An error of a caller's callback, carried through the save loop untouched. */
class PassThrough {
  constructor(readonly error: unknown) {}
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A document path the console may read or write: `configs/<tenant>/<name>.yaml|yml`, nothing odd in it. */
function checkPath(path: string): string {
  const m = CONFIG_PATH.exec(path);
  if (!m || /[\x00-\x1f\x7f\\]/.test(path) || m[1]!.startsWith('-') || m[2]!.startsWith('-')) {
    throw new RepoError('invalid', `invalid config path ${JSON.stringify(path)} (expected configs/<tenant>/<name>.yaml)`);
  }
  return path;
}

function checkBlob(blob: string | null): void {
  if (blob !== null && !/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(blob)) {
    throw new RepoError('invalid', `invalid blob sha ${JSON.stringify(blob)}`);
  }
}

/** A name and email git records as given: no angle brackets or control characters, neither empty. */
function checkPerson(person: GitAuthor, role: string): GitAuthor {
  const clean = (s: string): string => s.replace(/[<>\x00-\x1f\x7f]/g, '').trim();
  const name = clean(person.name);
  const email = clean(person.email);
  if (name === '' || email === '') throw new RepoError('invalid', `${role} needs a name and an email`);
  return { name, email };
}

