/**
 * Admin settings, layered like the gateway's: schema defaults ← optional settings file (`--settings FILE`
 * or `ADMIN_SETTINGS`) ← `ADMIN_*` environment variables ← command-line flags. Every layer is applied to
 * parsed values, never by substituting text into YAML.
 *
 * Secrets (the bootstrap password, gateway webhook secrets) come from the settings file or the
 * environment only: a command-line flag would show them to every user of the host in `ps`. They never
 * appear in an issue message or in `redactSettings` output.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { closest } from '../gateway/config/issues.ts';
import { compileChecker, show } from '../gateway/config/load.ts';
import { applyOptions, nonEmpty, readSettingsFile, type SettingOption } from '../gateway/config/settings-file.ts';
import { Duration } from '../gateway/config/schema.ts';
import { redactUrl } from '../gateway/config/sources/source.ts';
import { TrustedProxies } from './modules/auth/client-ip.ts';

const strict = { additionalProperties: false } as const;

/** Usernames: also used in audit actors (`user:<name>`), so no spaces or colons. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@-]*$';

/** One gateway the admin notifies (reload webhook) and watches (`/_status`). */
export const GatewayTarget = Type.Object(
  {
    url: Type.String({ pattern: '^https?://[^\\s]+$', description: 'Base URL of the gateway, e.g. http://127.0.0.1:5235.' }),
    webhookSecret: Type.Optional(Type.String({ minLength: 1, description: 'Shared secret of its reload webhook.' })),
  },
  strict,
);
export type GatewayTarget = Static<typeof GatewayTarget>;

export const AdminSettings = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Listen address (ADMIN_HOST, --host).' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 5234, description: 'Listen port (ADMIN_PORT, --port).' }),
    dataDir: Type.String({ minLength: 1, default: '.data', description: 'Where local state lives (DATA_DIR, --data-dir).' }),
    databaseUrl: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Web data store URL: sqlite:<file>, postgres://…, mysql://… (ADMIN_DATABASE_URL, --database-url). Default: <dataDir>/admin.sqlite.',
      }),
    ),
    bootstrapUser: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: USERNAME_PATTERN,
      default: 'admin',
      description: 'Admin created on first start (ADMIN_BOOTSTRAP_USER, --bootstrap-user).',
    }),
    bootstrapPassword: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 1024,
        description: 'Password of the bootstrap admin (ADMIN_BOOTSTRAP_PASSWORD); generated and printed once when unset.',
      }),
    ),
    sessionTtl: Type.Union(Duration.anyOf, {
      default: '12h',
      description: 'Absolute lifetime of a console session: milliseconds or "30m", "12h" (ADMIN_SESSION_TTL, --session-ttl).',
    }),
    sessionIdle: Type.Union(Duration.anyOf, {
      default: '1h',
      description: 'A console session unused this long expires (ADMIN_SESSION_IDLE, --session-idle).',
    }),
    publicOrigin: Type.Optional(
      Type.String({
        pattern: '^https?://[^/\\s]+$',
        description:
          'The origin browsers use to reach the console, for the Origin check and the Secure cookie flag (ADMIN_PUBLIC_ORIGIN, --public-origin). Default: http://<host>:<port>.',
      }),
    ),
    gateways: Type.Array(GatewayTarget, {
      default: [],
      description: 'Gateways to notify and watch (ADMIN_GATEWAYS: comma-separated URLs, with ADMIN_GATEWAY_WEBHOOK_SECRET shared).',
    }),
    trustedProxies: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'Reverse proxies (IPs or CIDRs) whose X-Forwarded-For names the client, for per-address login throttling (ADMIN_TRUSTED_PROXIES, comma-separated; --trusted-proxies). Default: none, the peer address counts.',
    }),
    configRepo: Type.Optional(
      Type.String({ minLength: 1, description: 'Git URL or path of the config repo the console commits to (ADMIN_CONFIG_REPO, --config-repo).' }),
    ),
  },
  { ...strict, title: 'MCP gateway admin settings', description: 'Settings of the admin process.' },
);
export type AdminSettings = Static<typeof AdminSettings>;

/** Inputs of `loadSettings`: arguments after the script name and the environment. */
export interface SettingsInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

const settingsChecker = compileChecker(AdminSettings);

/** The defaults of every setting, from the schema. */
export function defaultSettings(): AdminSettings {
  return Value.Clean(AdminSettings, Value.Default(AdminSettings, {})) as AdminSettings;
}

/** A setting reachable from the environment and/or a flag: how to parse its text and where it goes. */
type Option = SettingOption<AdminSettings>;

const str =
  (set: (s: AdminSettings, v: string) => void, pattern?: RegExp, what?: string) =>
  (s: AdminSettings, text: string): string | undefined => {
    const v = text.trim();
    if (v === '') return 'must not be empty';
    if (pattern && !pattern.test(v)) return `must be ${what} (got ${show(text)})`;
    set(s, v);
    return undefined;
  };

const duration =
  (set: (s: AdminSettings, v: Duration) => void) =>
  (s: AdminSettings, text: string): string | undefined => {
    const t = text.trim();
    if (/^\d+$/.test(t)) set(s, Number(t));
    else if (DURATION.test(t)) set(s, t);
    else return `must be a duration: milliseconds, or a string such as "30m", "12h" (got ${show(text)})`;
    return undefined;
  };

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;
const HTTP_URL = /^https?:\/\/[^\s]+$/;

const OPTIONS: readonly Option[] = [
  { env: 'ADMIN_HOST', flag: '--host', apply: str((s, v) => (s.host = v)) },
  {
    env: 'ADMIN_PORT',
    flag: '--port',
    apply: (s, text) => {
      const t = text.trim();
      const n = Number(t);
      if (!/^\d+$/.test(t) || n > 65535) return `must be an integer between 0 and 65535 (got ${show(text)})`;
      s.port = n;
      return undefined;
    },
  },
  { env: 'DATA_DIR', flag: '--data-dir', apply: str((s, v) => (s.dataDir = v)) },
  { env: 'ADMIN_DATABASE_URL', flag: '--database-url', apply: (s, text) => (text.trim() === '' ? 'must not be empty' : void (s.databaseUrl = text.trim())) },
  {
    env: 'ADMIN_BOOTSTRAP_USER',
    flag: '--bootstrap-user',
    apply: str((s, v) => (s.bootstrapUser = v), new RegExp(USERNAME_PATTERN), 'a username (letters, digits, "_", ".", "@", "-")'),
  },
  {
    env: 'ADMIN_BOOTSTRAP_PASSWORD',
    // Never echo the value: it is a secret even when malformed.
    apply: (s, text) => {
      if (text.length < 8) return 'must be at least 8 characters long';
      s.bootstrapPassword = text;
      return undefined;
    },
  },
  { env: 'ADMIN_SESSION_TTL', flag: '--session-ttl', apply: duration((s, v) => (s.sessionTtl = v)) },
  { env: 'ADMIN_SESSION_IDLE', flag: '--session-idle', apply: duration((s, v) => (s.sessionIdle = v)) },
  {
    env: 'ADMIN_TRUSTED_PROXIES',
    flag: '--trusted-proxies',
    apply: (s, text) => {
      const entries = text.split(',').map((e) => e.trim()).filter((e) => e !== '');
      const problem = entries.map((e) => TrustedProxies.problem(e)).find((p) => p !== undefined);
      if (problem) return problem;
      s.trustedProxies = entries;
      return undefined;
    },
  },
  {
    env: 'ADMIN_PUBLIC_ORIGIN',
    flag: '--public-origin',
    apply: (s, text) => {
      const origin = originOf(text.trim());
      if (origin === undefined) return `must be an http(s) origin such as https://admin.example.com (got ${show(text)})`;
      s.publicOrigin = origin;
      return undefined;
    },
  },
  {
    env: 'ADMIN_GATEWAYS',
    flag: '--gateways',
    apply: (s, text) => {
      const urls = text
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
      const bad = urls.find((u) => !HTTP_URL.test(u));
      if (bad !== undefined) return `must be comma-separated http(s) URLs (got ${show(bad)})`;
      s.gateways = urls.map((url) => ({ url: trimSlash(url) }));
      return undefined;
    },
  },
  {
    // Applied after ADMIN_GATEWAYS (order of this list): the shared secret of every gateway without its own.
    env: 'ADMIN_GATEWAY_WEBHOOK_SECRET',
    apply: (s, text) => {
      if (text === '') return 'must not be empty';
      s.gateways = s.gateways.map((g) => (g.webhookSecret === undefined ? { ...g, webhookSecret: text } : g));
      return undefined;
    },
  },
  { env: 'ADMIN_CONFIG_REPO', flag: '--config-repo', apply: str((s, v) => (s.configRepo = v)) },
];

const SETTINGS_FLAG = '--settings';
const SETTINGS_ENV = 'ADMIN_SETTINGS';

/**
 * Resolves the admin settings. `issues` are one line each, naming the variable, flag or
 * `file:line:col`; when there are issues the caller should refuse to start.
 */
export function loadSettings(input: SettingsInput): { settings: AdminSettings; issues: string[] } {
  const issues: string[] = [];
  const flags = parseFlags(input.argv, issues);
  let settings = defaultSettings();

  const settingsFile = flags.get(SETTINGS_FLAG) ?? nonEmpty(input.env[SETTINGS_ENV]);
  if (settingsFile !== undefined) settings = readSettingsFile(settingsFile, AdminSettings, settingsChecker, issues, secretPathsOf) ?? settings;
  if (settings.publicOrigin !== undefined) settings.publicOrigin = originOf(settings.publicOrigin) ?? settings.publicOrigin;

  applyOptions(OPTIONS, settings, input.env, flags, issues);
  // ADMIN_GATEWAYS from a flag would drop the environment's shared secret; apply it again.
  const gatewaysFlag = flags.get('--gateways');
  const sharedSecret = input.env.ADMIN_GATEWAY_WEBHOOK_SECRET;
  if (gatewaysFlag !== undefined && sharedSecret) {
    settings.gateways = settings.gateways.map((g) => (g.webhookSecret === undefined ? { ...g, webhookSecret: sharedSecret } : g));
  }
  settings.gateways = settings.gateways.map((g) => ({ ...g, url: trimSlash(g.url) }));
  settings.trustedProxies.forEach((entry, i) => {
    const problem = TrustedProxies.problem(entry);
    if (problem) issues.push(`trustedProxies[${i}]: ${problem}`);
  });
  return { settings, issues };
}

/** The origin browsers use; cookies are `Secure` when it is https. */
export function publicOrigin(settings: AdminSettings): string {
  return settings.publicOrigin ?? `http://${hostForUrl(settings.host)}:${settings.port}`;
}

/**
 * Origins accepted by the Origin check. An explicit `publicOrigin` is the only one. The default also
 * accepts the other loopback spellings (`localhost`, `127.0.0.1`, `[::1]`) on the same port, since a
 * browser on the host reaches a loopback listener by any of them.
 */
export function trustedOrigins(settings: AdminSettings): string[] {
  if (settings.publicOrigin !== undefined) return [settings.publicOrigin];
  const own = publicOrigin(settings);
  const host = hostForUrl(settings.host);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) return [own];
  return [own, ...['127.0.0.1', 'localhost', '[::1]'].map((h) => `http://${h}:${settings.port}`)].filter((o, i, all) => all.indexOf(o) === i);
}

/** Milliseconds of a Duration (milliseconds, or "500ms", "10s", "30m", "12h"). */
export function durationMs(d: Duration): number {
  if (typeof d === 'number') return d;
  const m = DURATION.exec(d);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(d)}`);
  const unit = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000;
  return Math.round(Number(m[1]) * unit);
}

/** A copy safe to log: the bootstrap password and webhook secrets become "***". */
export function redactSettings(settings: AdminSettings): AdminSettings {
  const copy = structuredClone(settings);
  if (copy.bootstrapPassword !== undefined) copy.bootstrapPassword = '***';
  copy.gateways = copy.gateways.map((g) => (g.webhookSecret === undefined ? g : { ...g, webhookSecret: '***' }));
  if (copy.configRepo !== undefined) copy.configRepo = redactUrl(copy.configRepo);
  return copy;
}

/** `http://host:port` → `http://host:port` normalized (lowercase scheme and host, no path), else undefined. */
export function originOf(text: string): string | undefined {
  if (!/^https?:\/\//i.test(text)) return undefined;
  try {
    const url = new URL(text);
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Paths whose values an issue must not echo. */
function secretPathsOf(value: unknown): Set<string> {
  const paths = new Set(['bootstrapPassword']);
  const gateways = (value as { gateways?: unknown }).gateways;
  if (Array.isArray(gateways)) gateways.forEach((_, i) => paths.add(`gateways[${i}].webhookSecret`));
  return paths;
}

/** Splits `--name value` and `--name=value`; unknown flags and stray arguments are issues. */
function parseFlags(argv: readonly string[], issues: string[]): Map<string, string> {
  const known = new Set<string>([SETTINGS_FLAG, ...OPTIONS.flatMap((o) => (o.flag ? [o.flag] : []))]);
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      issues.push(`unexpected argument ${show(arg)}`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    if (!known.has(name)) {
      const hint = closest(name, known);
      const secret = name === '--bootstrap-password' || name === '--gateway-webhook-secret' ? ' (secrets are read from the environment or the settings file only)' : '';
      issues.push(`unknown flag ${JSON.stringify(name)}${hint && !secret ? ` (did you mean "${hint}"?)` : ''}${secret}`);
      // Skip a secret's value too, so it is not echoed as a stray argument.
      if (secret && eq < 0 && i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('--')) i++;
      continue;
    }
    if (eq >= 0) out.set(name, arg.slice(eq + 1));
    else if (i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('--')) out.set(name, argv[++i] ?? '');
    else issues.push(`${name}: needs a value`);
  }
  return out;
}
