/**
 * The git process the admin runs in its clone: the gateway's hardened environment (no prompts, no
 * ambient `GIT_*` variables, credentials only through askpass) plus per-command settings that make the
 * clone behave the same on every machine, whatever the global git config says.
 */
import { type SimpleGit, simpleGit } from 'simple-git';
import { type GitCredentials, gitEnvironment, summarize as summarizeGitOutput } from '../../gateway/config/sources/git.ts';
import { redactText } from '../../gateway/config/sources/source.ts';
import type { GitAuthor } from './repo.ts';

/** Variables gitEnvironment sets itself; simple-git refuses guarded variables it was not told about. */
const OWN_GIT_VARIABLES = ['GIT_ASKPASS', 'GIT_TERMINAL_PROMPT', 'GIT_CEILING_DIRECTORIES'];

export interface GitClientOptions {
  dir: string;
  env: Record<string, string | undefined>;
  credentials: GitCredentials | undefined;
  askpassPath: string;
  /** Git never looks for a repository at or above this directory (the clone's parent). */
  ceiling: string;
  committer: GitAuthor;
  timeoutMs: number;
}

/**
 * A simple-git instance for the clone. `-c` settings on every command, so neither the global config nor
 * an edit of `.git/config` changes them: the committer identity, no hooks (a global `core.hooksPath`
 * could run anything on commit or push), no signing, no line-ending or symlink conversion, paths
 * unquoted, no background gc holding locks, and no credential helper when we hold the credentials.
 */
export function gitClient(opts: GitClientOptions): SimpleGit {
  const env = gitEnvironment({ env: opts.env, credentials: opts.credentials, askpassPath: opts.askpassPath, ceiling: opts.ceiling });
  // Untranslated messages: a rejected push and a missing branch are recognized by git's words.
  env.LC_ALL = 'C';
  // A file name is a file name: `*`, `?` and `[` in a path never act as globs.
  env.GIT_LITERAL_PATHSPECS = '1';
  const allowed = Object.keys(env).filter((k) => k.toLowerCase().startsWith('git_'));
  return simpleGit({
    baseDir: opts.dir,
    maxConcurrentProcesses: 1,
    trimmed: false,
    timeout: { block: opts.timeoutMs },
    config: [
      `user.name=${opts.committer.name}`,
      `user.email=${opts.committer.email}`,
      'user.useConfigOnly=true',
      'core.hooksPath=/dev/null',
      'commit.gpgSign=false',
      'push.gpgSign=false',
      'core.autocrlf=false',
      'core.symlinks=false',
      'core.quotePath=false',
      'core.fsmonitor=false',
      'gc.autoDetach=false',
      'log.showSignature=false',
      'advice.detachedHead=false',
      ...(opts.credentials ? ['credential.helper='] : []),
    ],
    allowEnvironment: [...allowed, ...OWN_GIT_VARIABLES],
    unsafe: {
      allowUnsafeAskPass: true,
      allowUnsafeSshCommand: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
    },
  }).env(env);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** git's output on one line (the gateway source's summary), with credentials removed. */
export function summarize(err: unknown, secrets: readonly (string | undefined)[]): string {
  return redactText(summarizeGitOutput(errorText(err)), secrets);
}
