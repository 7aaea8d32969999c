/**
 * The contract every config source implements, and what the sources share: the error type and URL
 * redaction. Kept apart from `index.ts` so that the drivers import it without an import cycle.
 */

/** One revision of a source, materialized on disk. */
export interface SourceSnapshot {
  /** `<branch>@sha1:<hex>` for git (Flux style), `dir@sha1:<hex>` content hash for a directory. */
  readonly revision: string;
  /**
   * A directory holding `configs/` for this revision, to be loaded by the loader. It stays as it is
   * until the next `fetch()` of the same source (the reconciler loads before it fetches again).
   */
  readonly root: string;
}

/** Where revisions come from: a watched directory or a clone of a git branch. */
export interface ConfigSource {
  readonly kind: 'dir' | 'git';
  /** Safe to log: credentials stripped from URLs. */
  readonly description: string;
  /** Brings the local copy up to date and names its revision. Throws SourceError (code 'source_fetch') with a clear message. */
  fetch(signal?: AbortSignal): Promise<SourceSnapshot>;
  /** Calls onChange (debounced by the caller) when the source may have changed; returns an unsubscribe. Dir: fs.watch recursive; git: none (webhook/poll drive it). */
  watch?(onChange: () => void): () => void;
  close(): Promise<void>;
}

export type SourceErrorCode = 'source_fetch' | 'source_config';

/**
 * A source that could not produce a revision (`source_fetch`) or was opened with settings that cannot
 * work (`source_config`). The message names the source and never contains credentials.
 */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly code: SourceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** ssh user names select the account on the server (`ssh://git@host/...`); they are not secrets. */
const KEEPS_USERNAME = new Set(['ssh:', 'git+ssh:', 'ssh+git:']);

/**
 * The URL without credentials, safe for logs, errors and the console: `https://user:token@host/x.git`
 * becomes `https://host/x.git`. ssh URLs keep the user name (`ssh://git@host/x.git`) and lose only a
 * password. Strings that are not `scheme://` URLs (paths, scp-like `git@host:path`) come back unchanged.
 */
export function redactUrl(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactText(url);
  }
  if (parsed.username === '' && parsed.password === '') return url;
  const keepUser = KEEPS_USERNAME.has(parsed.protocol.toLowerCase());
  // Rebuild from the original text: URL serialization would normalize the rest (case, escapes, ports).
  const start = url.indexOf('://') + 3;
  const end = url.slice(start).search(/[/?#]/);
  const authority = end === -1 ? url.slice(start) : url.slice(start, start + end);
  const scheme = url.slice(0, start);
  const rest = url.slice(start + authority.lastIndexOf('@') + 1);
  return keepUser && parsed.username !== '' ? `${scheme}${parsed.username}@${rest}` : `${scheme}${rest}`;
}

/**
 * Removes userinfo from every `scheme://user:secret@` in free text (git's stderr, error messages), and
 * every occurrence of the given secret values, as a last line of defence.
 */
export function redactText(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@]+)@/gi, (_, scheme: string, userinfo: string) => {
    if (KEEPS_USERNAME.has(scheme.slice(0, -2).toLowerCase())) return `${scheme}${userinfo.split(':')[0]}@`;
    return scheme;
  });
  for (const secret of secrets) {
    // Short values would blank out ordinary words; real passwords and tokens are longer.
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}
