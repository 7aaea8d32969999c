/**
 * Gateway settings, layered: schema defaults ← optional settings file (`--settings FILE` or
 * `GATEWAY_SETTINGS`) ← `GATEWAY_*` environment variables ← command-line flags.
 *
 * Every layer is applied to parsed values, never by substituting text into YAML (the seed system's
 * `${VAR}` pre-processing let an environment value inject YAML). The webhook secret never appears in
 * an issue message or in `redactSettings` output.
 */
import { Value } from '@sinclair/typebox/value';
import { closest } from './issues.ts';
import { compileChecker, show } from './load.ts';
import { applyOptions, nonEmpty, readSettingsFile, type SettingOption } from './settings-file.ts';
import { GatewaySettings } from './schema.ts';

/** Inputs of `loadSettings`: arguments after the script name, the environment, and a default settings file. */
export interface SettingsInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Settings file used when neither `--settings` nor `GATEWAY_SETTINGS` names one. */
  file?: string;
}

type LogLevel = GatewaySettings['log']['level'];
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

const settingsChecker = compileChecker(GatewaySettings);
const SECRET_PATHS = new Set(['security.webhookSecret']);

/** The defaults of every setting, from the schema. */
export function defaultSettings(): GatewaySettings {
  return Value.Clean(GatewaySettings, Value.Default(GatewaySettings, {})) as GatewaySettings;
}

/** A setting reachable from the environment or a flag: how to parse its text and where it goes. */
interface Option extends SettingOption<GatewaySettings> {
  flag: string;
  boolean?: boolean;
}

const str =
  (set: (s: GatewaySettings, v: string) => void) =>
  (s: GatewaySettings, text: string): string | undefined => {
    if (text.trim() === '') return 'must not be empty';
    set(s, text.trim());
    return undefined;
  };

const int =
  (min: number, max: number, what: string, set: (s: GatewaySettings, v: number) => void) =>
  (s: GatewaySettings, text: string): string | undefined => {
    const t = text.trim();
    const n = Number(t);
    if (!/^\d+$/.test(t) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
      return `must be an integer ${range}${what === '' ? '' : ` (${what})`} (got ${show(text)})`;
    }
    set(s, n);
    return undefined;
  };

const list =
  (set: (s: GatewaySettings, v: string[]) => void) =>
  (s: GatewaySettings, text: string): string | undefined => {
    set(
      s,
      text
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== ''),
    );
    return undefined;
  };

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

const OPTIONS: readonly Option[] = [
  { env: 'GATEWAY_HOST', flag: '--host', apply: str((s, v) => (s.host = v)) },
  {
    env: 'GATEWAY_PORT',
    flag: '--port',
    apply: int(0, 65535, '', (s, v) => (s.port = v)),
  },
  { env: 'GATEWAY_CONFIG', flag: '--config', apply: str((s, v) => (s.config = v)) },
  { env: 'GATEWAY_BRANCH', flag: '--branch', apply: str((s, v) => (s.branch = v)) },
  { env: 'DATA_DIR', flag: '--data-dir', apply: str((s, v) => (s.dataDir = v)) },
  { env: 'GATEWAY_ALLOWED_NETWORKS', flag: '--allowed-networks', apply: list((s, v) => (s.security.allowedNetworks = v)) },
  { env: 'GATEWAY_ENV_ALLOWLIST', flag: '--env-allowlist', apply: list((s, v) => (s.security.envAllowlist = v)) },
  {
    env: 'GATEWAY_ALLOW_STDIO',
    flag: '--allow-stdio',
    boolean: true,
    apply: (s, text) => {
      const t = text.trim().toLowerCase();
      if (TRUE.includes(t)) s.security.allowStdio = true;
      else if (FALSE.includes(t)) s.security.allowStdio = false;
      else return `must be true or false (also 1/0, yes/no) (got ${show(text)})`;
      return undefined;
    },
  },
  {
    env: 'GATEWAY_WEBHOOK_SECRET',
    flag: '--webhook-secret',
    // Never echo the value: it is a secret even when malformed.
    apply: (s, text) => {
      if (text === '') return 'must not be empty';
      s.security.webhookSecret = text;
      return undefined;
    },
  },
  {
    env: 'GATEWAY_POLL_INTERVAL',
    flag: '--poll-interval',
    apply: int(0, Number.MAX_SAFE_INTEGER, 'seconds', (s, v) => (s.reload.pollInterval = v)),
  },
  {
    env: 'GATEWAY_LOG_LEVEL',
    flag: '--log-level',
    apply: (s, text) => {
      const t = text.trim().toLowerCase() as LogLevel;
      if (!LOG_LEVELS.includes(t)) return `must be one of ${LOG_LEVELS.join(', ')} (got ${show(text)})`;
      s.log.level = t;
      return undefined;
    },
  },
  {
    env: 'GATEWAY_TOOL_TIMEOUT',
    flag: '--tool-timeout',
    apply: int(1, Number.MAX_SAFE_INTEGER, 'milliseconds', (s, v) => (s.tools.timeout = v)),
  },
];

const SETTINGS_FLAG = '--settings';
const SETTINGS_ENV = 'GATEWAY_SETTINGS';

/**
 * Resolves the gateway settings. `issues` are one line each, naming the variable, flag or
 * `file:line:col`; when there are issues the caller should refuse to start.
 */
export function loadSettings(input: SettingsInput): { settings: GatewaySettings; issues: string[] } {
  const issues: string[] = [];
  const flags = parseFlags(input.argv, issues);
  let settings = defaultSettings();

  const settingsFile = flags.get(SETTINGS_FLAG) ?? nonEmpty(input.env[SETTINGS_ENV]) ?? input.file;
  if (settingsFile !== undefined) settings = readSettingsFile(settingsFile, GatewaySettings, settingsChecker, issues, () => SECRET_PATHS) ?? settings;

  applyOptions(OPTIONS, settings, input.env, flags, issues);
  return { settings, issues };
}

/** Splits `--name value`, `--name=value` and boolean flags; unknown flags and stray arguments are issues. */
function parseFlags(argv: readonly string[], issues: string[]): Map<string, string> {
  const known = new Map<string, Option | undefined>(OPTIONS.map((o) => [o.flag, o]));
  known.set(SETTINGS_FLAG, undefined);
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
      const hint = closest(name, known.keys());
      issues.push(`unknown flag ${JSON.stringify(name)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      continue;
    }
    const option = known.get(name);
    if (eq >= 0) out.set(name, arg.slice(eq + 1));
    else if (option?.boolean) out.set(name, 'true');
    else if (i + 1 < argv.length && !(argv[i + 1] ?? '').startsWith('--')) out.set(name, argv[++i] ?? '');
    else issues.push(`${name}: needs a value`);
  }
  return out;
}

/** A copy safe to log: the webhook secret becomes "***". */
export function redactSettings(settings: GatewaySettings): GatewaySettings {
  const copy = structuredClone(settings);
  if (copy.security.webhookSecret !== undefined) copy.security.webhookSecret = '***';
  return copy;
}

/**
 * The variable lookup given to templates' `env` function: only names on the allowlist resolve,
 * exactly or through a trailing `*` (`ACME_*`); everything else reads as undefined, so a config
 * cannot read the gateway's own secrets.
 */
export function envAllowed(
  allowlist: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): (name: string) => string | undefined {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const entry of allowlist) {
    if (entry.endsWith('*')) prefixes.push(entry.slice(0, -1));
    else if (entry !== '') exact.add(entry);
  }
  return (name) => {
    if (exact.has(name) || prefixes.some((p) => name.startsWith(p))) return env[name];
    return undefined;
  };
}
