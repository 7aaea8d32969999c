import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSettings, envAllowed, loadSettings, redactSettings } from './settings.ts';

const temps: string[] = [];
async function settingsFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gw-settings-'));
  temps.push(dir);
  const path = join(dir, 'gateway.yaml');
  await writeFile(path, text);
  return path;
}
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

const load = (argv: string[] = [], env: Record<string, string> = {}, file?: string) =>
  loadSettings(file === undefined ? { argv, env } : { argv, env, file });

describe('settings', () => {
  it('uses the schema defaults when nothing is set', () => {
    const { settings, issues } = load();
    expect(issues).toEqual([]);
    expect(settings).toEqual(defaultSettings());
    expect(settings.port).toBe(5235);
    expect(settings.security.allowStdio).toBe(false);
    expect(settings.reload.pollInterval).toBe(60);
  });

  it('reads the settings file named by --settings over the defaults', async () => {
    const path = await settingsFile('port: 7000\nsecurity:\n  allowStdio: true\n');
    const { settings, issues } = load(['--settings', path]);
    expect(issues).toEqual([]);
    expect(settings.port).toBe(7000);
    expect(settings.security.allowStdio).toBe(true);
    expect(settings.security.maxRequestBytes).toBe(4 * 1024 * 1024);
  });

  it('reads the settings file named by GATEWAY_SETTINGS', async () => {
    const path = await settingsFile('host: 0.0.0.0\n');
    expect(load([], { GATEWAY_SETTINGS: path }).settings.host).toBe('0.0.0.0');
  });

  it('reports settings file errors with file, line and column', async () => {
    const path = await settingsFile('port: 70000\nlog:\n  levle: debug\n');
    expect(load(['--settings', path]).issues).toEqual([
      `${path}:1:7: port: must be between 0 and 65535 (got 70000)`,
      `${path}:3:3: log: unknown key "levle" (did you mean "level"?)`,
    ]);
  });

  it('keeps every default when the settings file is empty', async () => {
    const path = await settingsFile('# nothing set\n');
    expect(load(['--settings', path])).toEqual({ settings: defaultSettings(), issues: [] });
  });

  it('reports a settings file that cannot be read', () => {
    expect(load(['--settings', '/nonexistent/gw.yaml']).issues).toEqual(['/nonexistent/gw.yaml: cannot read settings file (ENOENT)']);
  });

  it('lets environment variables override the settings file', async () => {
    const path = await settingsFile('port: 7000\nbranch: dev\n');
    const { settings } = load(['--settings', path], { GATEWAY_PORT: '7001' });
    expect(settings.port).toBe(7001);
    expect(settings.branch).toBe('dev');
  });

  it('lets flags override environment variables', () => {
    const { settings, issues } = load(['--port', '7002', '--log-level=debug'], { GATEWAY_PORT: '7001', GATEWAY_LOG_LEVEL: 'warn' });
    expect(issues).toEqual([]);
    expect(settings.port).toBe(7002);
    expect(settings.log.level).toBe('debug');
  });

  it('maps every environment variable to its setting', () => {
    const { settings, issues } = load([], {
      GATEWAY_HOST: '0.0.0.0',
      GATEWAY_PORT: '8080',
      GATEWAY_CONFIG: 'https://git.example/cfg.git',
      GATEWAY_BRANCH: 'prod',
      GATEWAY_ALLOWED_NETWORKS: '10.0.0.0/8, api.internal ,',
      GATEWAY_ALLOW_STDIO: 'yes',
      GATEWAY_ENV_ALLOWLIST: 'API_KEY,ACME_*',
      GATEWAY_WEBHOOK_SECRET: 's3cret',
      GATEWAY_POLL_INTERVAL: '0',
      GATEWAY_LOG_LEVEL: 'error',
      GATEWAY_TOOL_TIMEOUT: '5000',
      DATA_DIR: '/var/lib/gw',
    });
    expect(issues).toEqual([]);
    expect(settings).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      config: 'https://git.example/cfg.git',
      branch: 'prod',
      dataDir: '/var/lib/gw',
      reload: { pollInterval: 0 },
      security: { allowedNetworks: ['10.0.0.0/8', 'api.internal'], allowStdio: true, envAllowlist: ['API_KEY', 'ACME_*'], webhookSecret: 's3cret' },
      tools: { timeout: 5000 },
      log: { level: 'error' },
    });
  });

  it('maps every flag to its setting', () => {
    const { settings, issues } = load([
      '--host=::1',
      '--port', '0',
      '--config', 'file:///srv/cfg.git',
      '--branch', 'main2',
      '--allowed-networks', '192.168.0.0/16',
      '--allow-stdio',
      '--env-allowlist', 'X',
      '--webhook-secret', 'w',
      '--poll-interval', '30',
      '--log-level', 'warn',
      '--data-dir', '/tmp/d',
    ]);
    expect(issues).toEqual([]);
    expect(settings).toMatchObject({
      host: '::1',
      port: 0,
      config: 'file:///srv/cfg.git',
      branch: 'main2',
      dataDir: '/tmp/d',
      reload: { pollInterval: 30 },
      security: { allowedNetworks: ['192.168.0.0/16'], allowStdio: true, envAllowlist: ['X'], webhookSecret: 'w' },
      log: { level: 'warn' },
    });
  });

  it('names the variable and the rule when a variable is invalid', () => {
    expect(load([], { GATEWAY_PORT: 'abc' }).issues).toEqual(['GATEWAY_PORT: must be an integer between 0 and 65535 (got "abc")']);
  });

  it('rejects a boolean variable that is not true/false/1/0/yes/no', () => {
    expect(load([], { GATEWAY_ALLOW_STDIO: 'maybe' }).issues).toEqual(['GATEWAY_ALLOW_STDIO: must be true or false (also 1/0, yes/no) (got "maybe")']);
  });

  it('treats an empty variable as unset', () => {
    const { settings, issues } = load([], { GATEWAY_PORT: '' });
    expect(issues).toEqual([]);
    expect(settings.port).toBe(5235);
  });

  it('reports an unknown flag with a suggestion', () => {
    expect(load(['--prot', '1']).issues).toEqual(['unknown flag "--prot" (did you mean "--port"?)', 'unexpected argument "1"']);
  });

  it('reports a flag missing its value', () => {
    expect(load(['--port']).issues).toEqual(['--port: needs a value']);
  });

  it('never echoes the webhook secret in an issue', async () => {
    const path = await settingsFile('security:\n  webhookSecret: 12345678\n');
    const { issues } = load(['--settings', path]);
    expect(issues).toEqual([`${path}:2:18: security.webhookSecret: must be a string`]);
    expect(issues.join('\n')).not.toContain('12345678');
  });

  it('applies parsed values only, never substituting into YAML text', async () => {
    const path = await settingsFile('branch: ${GATEWAY_BRANCH}\n');
    const { settings } = load(['--settings', path], {});
    expect(settings.branch).toBe('${GATEWAY_BRANCH}');
  });
});

describe('redactSettings', () => {
  it('replaces the webhook secret with *** and leaves the input untouched', () => {
    const { settings } = load(['--webhook-secret', 'hunter2']);
    const red = redactSettings(settings);
    expect(red.security.webhookSecret).toBe('***');
    expect(JSON.stringify(red)).not.toContain('hunter2');
    expect(settings.security.webhookSecret).toBe('hunter2');
  });
});

describe('envAllowed', () => {
  const env = { API_KEY: 'k', ACME_TOKEN: 't', ACMEX: 'x', SECRET: 's' };

  it('returns variables named exactly on the allowlist', () => {
    expect(envAllowed(['API_KEY'], env)('API_KEY')).toBe('k');
  });

  it('returns variables matching a PREFIX_* wildcard', () => {
    expect(envAllowed(['ACME_*'], env)('ACME_TOKEN')).toBe('t');
    expect(envAllowed(['ACME_*'], env)('ACMEX')).toBeUndefined();
  });

  it('returns undefined for variables not on the allowlist', () => {
    expect(envAllowed(['API_KEY', 'ACME_*'], env)('SECRET')).toBeUndefined();
    expect(envAllowed([], env)('API_KEY')).toBeUndefined();
  });
});
