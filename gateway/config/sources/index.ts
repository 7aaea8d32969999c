/**
 * Config sources: where revisions come from, behind one interface (`ConfigSource`). The gateway setting
 * `config` chooses the driver: a git URL (or a local path ending in `.git`) is cloned and fetched; any
 * other value is a directory, watched for changes.
 */
import { DirSource } from './dir.ts';
import { GitSource, isGitUrl } from './git.ts';
import type { ConfigSource } from './source.ts';

export { DirSource } from './dir.ts';
export { GitSource, isGitUrl } from './git.ts';
export { type ConfigSource, redactUrl, SourceError, type SourceErrorCode, type SourceSnapshot } from './source.ts';

/**
 * Opens the source named by the `config` setting: `https://…`, `http://…`, `ssh://…`, `git@host:path`,
 * `git://…`, `file://…` or an existing local path ending in `.git` is a git source following `branch`,
 * cloned under `dataDir`; anything else is a directory path (relative to the working directory).
 * Throws SourceError (code 'source_config') for settings that cannot work, such as an invalid branch.
 */
export function openSource(opts: {
  config: string;
  branch: string;
  dataDir: string;
  env?: Record<string, string | undefined>;
}): ConfigSource {
  if (isGitUrl(opts.config)) {
    return new GitSource({ url: opts.config, branch: opts.branch, dataDir: opts.dataDir, env: opts.env ?? process.env });
  }
  return new DirSource(opts.config);
}
