/**
 * An mcpServers entry as the upstream layer sees it: normalized (durations in ms, defaults applied),
 * hashed for pooling, and the helpers that keep secrets out of what we report (status, logs, errors).
 */
import { createHash } from 'node:crypto';
import type { McpServer } from '../config/schema.ts';
import { durationMs } from '../tools/http-tool.ts';

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_CALL_TIMEOUT_MS = 60_000;
/** onDemand upstreams close after this long without calls, unless idleTimeout says otherwise. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** The connection-relevant part of an mcpServers entry, with durations resolved. */
export interface NormalizedSpec {
  readonly type: McpServer['type'];
  readonly name: string;
  readonly command: string | undefined;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly url: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly policy: 'onStart' | 'onDemand' | undefined;
  readonly preinstalled: boolean;
  readonly connectTimeoutMs: number;
  readonly callTimeoutMs: number;
  /** onDemand: the configured idle timeout or the default; other policies: only when configured. */
  readonly idleTimeoutMs: number | undefined;
}

/**
 * Normalizes a spec. `tools` (shaping) is left out on purpose: it is applied per endpoint, so a reload
 * that only renames or filters tools keeps the live upstream connection.
 */
export function normalizeSpec(spec: McpServer): NormalizedSpec {
  const idle = spec.idleTimeout !== undefined ? durationMs(spec.idleTimeout) : undefined;
  return {
    type: spec.type,
    name: spec.name,
    command: spec.command,
    args: spec.args ?? [],
    env: spec.env ?? {},
    url: spec.url,
    headers: spec.headers ?? {},
    policy: spec.policy,
    preinstalled: spec.preinstalled === true,
    connectTimeoutMs: spec.connectTimeout !== undefined ? durationMs(spec.connectTimeout) : DEFAULT_CONNECT_TIMEOUT_MS,
    callTimeoutMs: spec.callTimeout !== undefined ? durationMs(spec.callTimeout) : DEFAULT_CALL_TIMEOUT_MS,
    idleTimeoutMs: idle ?? (spec.policy === 'onDemand' ? DEFAULT_IDLE_TIMEOUT_MS : undefined),
  };
}

/** JSON with object keys sorted, so equal specs hash equally whatever their key order in YAML. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The pool key of a spec: sha256 of its normalized JSON. */
export function specHash(spec: McpServer | NormalizedSpec): string {
  const normalized = 'connectTimeoutMs' in spec ? spec : normalizeSpec(spec);
  return createHash('sha256').update(stableJson(normalized)).digest('hex');
}

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;
const URL_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"']+)\?[^\s"']*/gi;

/**
 * Removes what may be secret from a message: URL userinfo and query strings, and every value in
 * `secrets` (rendered header and env values). Short values are left alone: masking "1" would garble
 * the message without protecting anything.
 */
export function redact(message: string, secrets?: Iterable<string>): string {
  let out = message.replace(URL_USERINFO, '$1***@').replace(URL_QUERY, '$1?***');
  if (secrets) {
    for (const s of secrets) if (s.length >= 6 && out.includes(s)) out = out.split(s).join('***');
  }
  return out.length > 500 ? `${out.slice(0, 500)}…` : out;
}

/** The URL as it may be shown: no userinfo, no query, no fragment. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return redact(url);
  }
}

/**
 * The environment every stdio child starts from: what a program needs to run and to find its caches
 * (npx, uvx, pip), never the gateway's own environment, which may hold secrets. The spec's `env`
 * adds to it.
 */
export const SAFE_ENV_NAMES: readonly string[] = Object.freeze([
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'XDG_CACHE_HOME',
  'npm_config_cache',
  'NPM_CONFIG_CACHE',
  'npm_config_registry',
  'NPM_CONFIG_REGISTRY',
  'UV_CACHE_DIR',
  'UV_DEFAULT_INDEX',
  'PIP_CACHE_DIR',
  'PIP_INDEX_URL',
]);

export function safeBaseEnv(source: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of SAFE_ENV_NAMES) {
    const value = source[name];
    // Exported shell functions (`() { …`) are how Shellshock travelled; never pass them on.
    if (value !== undefined && !value.startsWith('()')) env[name] = value;
  }
  return env;
}
