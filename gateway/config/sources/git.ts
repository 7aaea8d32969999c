/**
 * A branch of a git repository as a config source (GitOps): a clone under the data dir, brought to the
 * branch's tip on every fetch, named `<branch>@sha1:<hex>` (Flux).
 *
 * Shape of the clone: `git init` + `git remote add origin <url>` once, then on every fetch
 * `git fetch --depth=1 origin +refs/heads/<branch>:refs/remotes/origin/<branch>`,
 * `git reset --hard refs/remotes/origin/<branch>` and `git clean -ffdx`. The first fetch is the clone,
 * so one code path serves both. Shallow, because the gateway only ever reads the tip: the clone stays
 * the size of one tree however long the history, and a force-push is followed like any other push
 * (the fetch names the new tip; nothing is merged). The explicit refspec keeps working when the clone
 * was made for another branch of the same URL.
 *
 * Credentials (see the Trust model): https user and password or token come from the gateway's
 * environment (`GATEWAY_GIT_USERNAME`, `GATEWAY_GIT_PASSWORD` or `GATEWAY_GIT_TOKEN`) or from the
 * configured URL's userinfo, and reach git only through the environment of the git process, read by a
 * `GIT_ASKPASS` script that holds no secret. They are never in the remote URL, argv, `.git/config`,
 * logs or error messages, and no credential helper gets to store them. ssh uses the environment's
 * `GIT_SSH_COMMAND` or agent. Nothing ever prompts: `GIT_TERMINAL_PROMPT=0`, ssh in batch mode, and
 * every git command is killed after a period without output.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { type ConfigSource, redactText, redactUrl, SourceError, type SourceSnapshot } from './source.ts';

/** Kill a git command that has been silent this long (network stall, a server that never answers). */
export const DEFAULT_GIT_TIMEOUT_MS = 60_000;

export interface GitSourceOptions {
  /** `https://…`, `http://…`, `ssh://…`, `git@host:path`, `git://…`, `file://…` or a local path to a repository. */
  url: string;
  branch: string;
  /** Clones live in `<dataDir>/sources/<sha1 of the URL without credentials>/`. */
  dataDir: string;
  /**
   * The environment git runs with (it needs PATH, HOME) and where credentials and ssh settings are
   * read from; defaults to `process.env`.
   */
  env?: Record<string, string | undefined>;
  /** Milliseconds a git command may stay silent before it is killed. */
  timeoutMs?: number;
}

/** https credentials as git's askpass prompt hands them out. */
export interface GitCredentials {
  username: string;
  password: string;
}

/**
 * Environment variables of the gateway passed on to git: TLS, proxy and ssh settings an operator sets
 * on purpose. Every other `GIT_*` variable (GIT_DIR, GIT_CONFIG_*, GIT_TRACE…) could redirect or
 * pollute our commands and is dropped, as are the editor, pager and askpass variables.
 */
const PASSED_GIT_VARIABLES = [
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_SSH_VARIANT',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'GIT_SSL_CERT',
  'GIT_SSL_KEY',
  'GIT_SSL_CERT_PASSWORD_PROTECTED',
  'GIT_SSL_NO_VERIFY',
  'GIT_SSL_VERSION',
  'GIT_SSL_CIPHER_LIST',
  'GIT_HTTP_PROXY_AUTHMETHOD',
  'GIT_PROXY_SSL_CAINFO',
  'GIT_PROXY_SSL_CERT',
  'GIT_PROXY_SSL_KEY',
  'GIT_HTTP_LOW_SPEED_LIMIT',
  'GIT_HTTP_LOW_SPEED_TIME',
  'GIT_HTTP_USER_AGENT',
] as const;

/** Variables we set ourselves; simple-git refuses guarded variables it was not told about. */
const OWN_GIT_VARIABLES = ['GIT_ASKPASS', 'GIT_TERMINAL_PROMPT', 'GIT_CEILING_DIRECTORIES'] as const;

/** Non-`GIT_` variables git would run as programs; simple-git guards them too. */
const DROPPED_VARIABLES = new Set(['editor', 'visual', 'pager', 'prefix', 'ssh_askpass']);

/** Names of the variables through which the askpass script receives the credentials. */
export const ASKPASS_USERNAME_VARIABLE = 'GATEWAY_GIT_USERNAME';
export const ASKPASS_PASSWORD_VARIABLE = 'GATEWAY_GIT_PASSWORD';

/** The askpass helper: answers git's "Username for …" and "Password for …" prompts from its environment. */
export const ASKPASS_SCRIPT = `#!/bin/sh
# Written by the MCP gateway. Answers git's credential prompts (GIT_ASKPASS) from the environment of
# the git process; the values never touch the disk, argv or the remote URL.
case "$1" in
  [Uu]sername*) printf '%s\\n' "$${ASKPASS_USERNAME_VARIABLE}" ;;
  *) printf '%s\\n' "$${ASKPASS_PASSWORD_VARIABLE}" ;;
esac
`;

/** What kind of remote a URL names; decides which credentials apply. */
export function remoteScheme(url: string): 'http' | 'ssh' | 'file' | 'git' {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme === 'file') return 'file';
  if (scheme === 'git') return 'git';
  if (scheme !== undefined) return 'ssh';
  // scp-like `user@host:path` (a colon before any slash); anything else is a local path.
  return /^[^/]*:/.test(url) && !/^[A-Za-z]:[\\/]/.test(url) ? 'ssh' : 'file';
}

/**
 * The URL git is given, without credentials: local paths made absolute (git runs inside the clone),
 * http(s) userinfo removed (it travels through askpass instead), ssh URLs as configured minus a password.
 */
export function remoteUrl(url: string): string {
  if (remoteScheme(url) === 'file' && !/^file:\/\//i.test(url)) return resolve(url);
  return redactUrl(url);
}

/**
 * https credentials: the configured URL's userinfo wins (it names this source), then
 * `GATEWAY_GIT_USERNAME` + `GATEWAY_GIT_PASSWORD`, or `GATEWAY_GIT_TOKEN` (user name `x-access-token`
 * unless one is given, which GitHub, GitLab and Gitea all accept for tokens). None for other schemes.
 */
export function gitCredentials(url: string, env: Record<string, string | undefined>): GitCredentials | undefined {
  if (remoteScheme(url) !== 'http') return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.username !== '' || parsed.password !== '') {
      const username = decodeURIComponent(parsed.username);
      const password = decodeURIComponent(parsed.password);
      // A lone `https://<token>@host` is the token-as-user convention of several hosts.
      if (password === '') return { username: env.GATEWAY_GIT_USERNAME || 'x-access-token', password: username };
      return { username, password };
    }
  } catch {
    // Not parseable as a URL: git will say so; no credentials to take from it.
  }
  const password = env.GATEWAY_GIT_PASSWORD || env.GATEWAY_GIT_TOKEN;
  if (!password) return undefined;
  return { username: env.GATEWAY_GIT_USERNAME || 'x-access-token', password };
}

/**
 * The complete environment of a git process: the gateway's environment minus every variable that
 * could change what git runs or reads, plus `GIT_TERMINAL_PROMPT=0`, ssh in batch mode unless the
 * operator chose an ssh command, and, with credentials, `GIT_ASKPASS` and the two variables it reads.
 */
export function gitEnvironment(opts: {
  env: Record<string, string | undefined>;
  credentials: GitCredentials | undefined;
  askpassPath: string;
  ceiling?: string;
}): Record<string, string> {
  const out: Record<string, string> = {};
  const passed = new Set<string>(PASSED_GIT_VARIABLES);
  for (const [key, value] of Object.entries(opts.env)) {
    if (value === undefined) continue;
    const lower = key.toLowerCase();
    if (lower.startsWith('git_') && !passed.has(key.toUpperCase())) continue;
    if (DROPPED_VARIABLES.has(lower) || lower.startsWith('gateway_git_')) continue;
    out[key] = value;
  }
  out.GIT_TERMINAL_PROMPT = '0';
  // Rejected pushes and missing branches are recognised by git's English messages.
  out.LC_ALL = 'C';
  // ssh would ask on /dev/tty for an unknown host key or a passphrase; batch mode fails instead.
  if (out.GIT_SSH_COMMAND === undefined && out.GIT_SSH === undefined) out.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
  if (opts.ceiling !== undefined) out.GIT_CEILING_DIRECTORIES = opts.ceiling;
  if (opts.credentials) {
    out.GIT_ASKPASS = opts.askpassPath;
    out[ASKPASS_USERNAME_VARIABLE] = opts.credentials.username;
    out[ASKPASS_PASSWORD_VARIABLE] = opts.credentials.password;
  }
  return out;
}

/** A branch name git accepts and that cannot be taken for an option or a refspec. */
export function checkBranch(branch: string): string | undefined {
  if (branch === '') return 'branch name is empty';
  if (
    branch.startsWith('-') ||
    branch.startsWith('/') ||
    branch.endsWith('/') ||
    branch.endsWith('.') ||
    branch.endsWith('.lock') ||
    branch.includes('..') ||
    branch.includes('//') ||
    branch.includes('@{') ||
    branch === '@' ||
    /[\x00-\x20\x7f~^:?*[\\]/.test(branch)
  ) {
    return `invalid branch name ${JSON.stringify(branch)}`;
  }
  return undefined;
}

/** The last fetch queued per clone directory, so fetches of one clone never overlap within the process. */
const CLONE_QUEUES = new Map<string, Promise<void>>();

/** Clones and fetches one branch of one git URL; fetches of the same clone are serialized. */
export class GitSource implements ConfigSource {
  readonly kind = 'git';
  readonly description: string;
  /** The clone: `<dataDir>/sources/<sha1 of the URL without credentials>`. */
  readonly cloneDir: string;
  readonly branch: string;
  private readonly url: string;
  private readonly remote: string;
  private readonly dataDir: string;
  private readonly env: Record<string, string | undefined>;
  private readonly credentials: GitCredentials | undefined;
  private readonly timeoutMs: number;
  private pending: Promise<void> = Promise.resolve();
  private askpassWritten = false;
  /** The clone was checked (or made) by this instance and no fetch has failed since. */
  private verified = false;
  private closed = false;

  constructor(opts: GitSourceOptions) {
    this.url = redactUrl(opts.url);
    this.remote = remoteUrl(opts.url);
    this.branch = opts.branch;
    this.dataDir = resolve(opts.dataDir);
    this.env = opts.env ?? process.env;
    this.credentials = gitCredentials(opts.url, this.env);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
    this.cloneDir = join(this.dataDir, 'sources', createHash('sha1').update(this.remote).digest('hex'));
    this.description = `git ${this.url} (branch ${JSON.stringify(this.branch)})`;
    const bad = checkBranch(this.branch);
    if (bad) throw new SourceError('source_config', `git source ${this.url}: ${bad}`);
  }

  fetch(signal?: AbortSignal): Promise<SourceSnapshot> {
    // Two fetches must never run git in the same clone at once, even from two instances of one URL:
    // each waits for the one before it.
    const run = (CLONE_QUEUES.get(this.cloneDir) ?? Promise.resolve()).then(() => this.fetchNow(signal));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    CLONE_QUEUES.set(this.cloneDir, settled);
    this.pending = settled;
    void settled.then(() => {
      if (CLONE_QUEUES.get(this.cloneDir) === settled) CLONE_QUEUES.delete(this.cloneDir);
    });
    return run;
  }

  /** Waits for a running fetch; later fetches are refused. The clone stays for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pending;
  }

  private async fetchNow(signal: AbortSignal | undefined): Promise<SourceSnapshot> {
    if (this.closed) throw this.error('source closed');
    if (signal?.aborted) throw this.error('fetch aborted');
    try {
      await mkdir(join(this.dataDir, 'sources'), { recursive: true });
      await this.writeAskpass();
      await this.ensureClone(signal);
      const git = this.git(this.cloneDir, signal);
      const ref = `refs/remotes/origin/${this.branch}`;
      try {
        await git.raw(['fetch', '--depth=1', '--no-tags', '--no-recurse-submodules', 'origin', `+refs/heads/${this.branch}:${ref}`]);
      } catch (err) {
        if (/couldn't find remote ref|could not find remote ref/i.test(errorText(err))) {
          throw this.error(`branch ${JSON.stringify(this.branch)} not found`, err);
        }
        throw err;
      }
      // Not quiet: simple-git waits an extra 50 ms for commands that print nothing.
      await git.raw(['reset', '--hard', ref]);
      await git.raw(['clean', '-ffdx']);
      const head = (await git.raw(['rev-parse', '--verify', 'HEAD'])).trim();
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(head)) throw this.error(`unexpected HEAD ${JSON.stringify(head)}`);
      return { revision: `${this.branch}@${head.length === 64 ? 'sha256' : 'sha1'}:${head}`, root: this.cloneDir };
    } catch (err) {
      // Look at the clone and the askpass script again next time: they may be what failed.
      this.verified = false;
      this.askpassWritten = false;
      if (err instanceof SourceError) throw err;
      throw this.error(summarize(errorText(err)), err);
    }
  }

  /** A simple-git instance for one fetch: our environment, the abort signal and the silence timeout. */
  private git(baseDir: string, signal: AbortSignal | undefined): SimpleGit {
    const env = gitEnvironment({
      env: this.env,
      credentials: this.credentials,
      askpassPath: this.askpassPath(),
      ceiling: join(this.dataDir, 'sources'),
    });
    const allowed = Object.keys(env).filter((k) => k.toLowerCase().startsWith('git_'));
    return simpleGit({
      baseDir,
      maxConcurrentProcesses: 1,
      trimmed: false,
      timeout: { block: this.timeoutMs },
      // With our own credentials no helper is asked or told (`credential approve` would store them).
      config: this.credentials ? ['credential.helper='] : [],
      allowEnvironment: [...allowed, ...OWN_GIT_VARIABLES],
      // These name exactly what we set: our askpass script, the operator's ssh command, an empty helper.
      unsafe: { allowUnsafeAskPass: true, allowUnsafeSshCommand: true, allowUnsafeCredentialHelper: true },
      ...(signal ? { abort: signal } : {}),
    }).env(env);
  }

  private askpassPath(): string {
    return join(this.dataDir, 'git-askpass.sh');
  }

  /** The askpass script, written once per instance (atomically, mode 0700); it holds no secret. */
  private async writeAskpass(): Promise<void> {
    if (!this.credentials || this.askpassWritten) return;
    const path = this.askpassPath();
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, ASKPASS_SCRIPT, { mode: 0o700 });
    await chmod(temp, 0o700);
    await rename(temp, path);
    this.askpassWritten = true;
  }

  /** Reuses the clone when it is a repository of its own whose origin is our URL; else starts afresh. */
  private async ensureClone(signal: AbortSignal | undefined): Promise<void> {
    if (this.verified) return;
    if (await this.cloneIsUsable(signal)) {
      this.verified = true;
      return;
    }
    await rm(this.cloneDir, { recursive: true, force: true });
    // Built aside and renamed, so a crash never leaves a half-made clone under the final name.
    const temp = `${this.cloneDir}.${randomBytes(6).toString('hex')}.tmp`;
    await mkdir(temp, { recursive: true });
    try {
      const git = this.git(temp, signal);
      await git.raw(['init', '--quiet']);
      await git.raw(['remote', 'add', 'origin', this.remote]);
      // A config repo has no business with symbolic links: checked out as plain files, they cannot
      // make the loader read outside the clone (e.g. `configs -> /etc`).
      await git.raw(['config', 'core.symlinks', 'false']);
      await git.raw(['config', 'gc.auto', '256']);
      // Name the local branch after the one we follow, so the clone reads naturally when inspected.
      await git.raw(['symbolic-ref', 'HEAD', `refs/heads/${this.branch}`]);
      await rename(temp, this.cloneDir);
      this.verified = true;
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
  }

  private async cloneIsUsable(signal: AbortSignal | undefined): Promise<boolean> {
    const dotGit = await lstat(join(this.cloneDir, '.git')).catch(() => undefined);
    if (!dotGit?.isDirectory()) return false;
    try {
      const git = this.git(this.cloneDir, signal);
      // The ceiling keeps git from walking up into an enclosing repository, but check the top level anyway:
      // reset and clean must never run anywhere but in our clone.
      const top = (await git.raw(['rev-parse', '--show-toplevel'])).trim();
      if ((await realpath(top)) !== (await realpath(this.cloneDir))) return false;
      const origin = (await git.raw(['config', '--get', 'remote.origin.url'])).trim();
      return origin === this.remote;
    } catch {
      return false;
    }
  }

  private error(message: string, cause?: unknown): SourceError {
    const text = redactText(`git source ${this.url}: ${message}`, [this.credentials?.password]);
    return new SourceError('source_fetch', text, cause === undefined ? undefined : { cause: redactedCause(cause, this.credentials) });
  }
}

/** True when `config` names a git repository rather than a directory of configs. */
export function isGitUrl(config: string): boolean {
  if (/^(https?|ssh|git|git\+ssh|ssh\+git|file):\/\//i.test(config)) return true;
  if (/^[A-Za-z0-9._-]+@[^/:]+:/.test(config)) return true;
  const path = config.replace(/[\\/]+$/, '');
  return path.endsWith('.git') && existsSync(isAbsolute(path) ? path : resolve(path));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Lines of git's stderr that say nothing about the failure: hints, boilerplate, ref updates. */
const NOISE = [
  /^hint:/i,
  /^Please make sure you have the correct access rights/i,
  /^and the repository exists\.?$/i,
  /^From /,
  /^[*+!=-] /,
];

/**
 * git's stderr boiled down to what went wrong, on one line: `fatal:`/`error:` prefixes, hints and
 * boilerplate dropped (but ssh's and the server's own lines kept), or simple-git's reason (a timeout,
 * an abort).
 */
export function summarize(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !NOISE.some((re) => re.test(l)))
    .map((l) => l.replace(/^(fatal|error):\s*/i, ''));
  const message = lines.join('; ') || 'git failed';
  if (/block timeout reached/i.test(message)) return 'git command timed out (no output for too long)';
  if (/abort signal/i.test(message)) return 'fetch aborted';
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}

/** The cause kept on a SourceError, with credentials scrubbed from its message. */
function redactedCause(cause: unknown, credentials: GitCredentials | undefined): Error {
  return new Error(redactText(errorText(cause), [credentials?.password]));
}
