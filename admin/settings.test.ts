import { afterAll, describe, expect, it } from 'bun:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSettings, durationMs, loadSettings, publicOrigin, redactSettings, trustedOrigins } from './settings.ts';

const temps: string[] = [];
async function settingsFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'admin-settings-'));
  temps.push(dir);
  const path = join(dir, 'admin.yaml');
  await writeFile(path, text);
  return path;
}
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

const load = (argv: string[] = [], env: Record<string, string> = {}) => loadSettings({ argv, env });

describe('admin settings', () => {
  it('uses the defaults when nothing is set', () => {
    const { settings, issues } = load();
    expect(issues).toEqual([]);
    expect(settings).toEqual(defaultSettings());
    expect(settings).toMatchObject({ host: '127.0.0.1', port: 5234, dataDir: '.data', bootstrapUser: 'admin', sessionTtl: '12h', gateways: [] });
    expect(settings.databaseUrl).toBeUndefined();
    expect(publicOrigin(settings)).toBe('http://127.0.0.1:5234');
  });

  it('layers file ← environment ← flags', async () => {
    const path = await settingsFile('port: 7000\nhost: 0.0.0.0\nsessionTtl: 2h\ngateways:\n  - url: http://gw1:5235/\n    webhookSecret: s1\n');
    const { settings, issues } = load(['--settings', path, '--port', '7002'], { ADMIN_PORT: '7001', ADMIN_SESSION_TTL: '30m', DATA_DIR: '/var/lib/mgw' });
    expect(issues).toEqual([]);
    expect(settings.port).toBe(7002);
    expect(settings.host).toBe('0.0.0.0');
    expect(settings.sessionTtl).toBe('30m');
    expect(settings.dataDir).toBe('/var/lib/mgw');
    expect(settings.gateways).toEqual([{ url: 'http://gw1:5235', webhookSecret: 's1' }]);
  });

  it('reads the settings file named by ADMIN_SETTINGS', async () => {
    const path = await settingsFile('configRepo: /srv/config.git\n');
    expect(load([], { ADMIN_SETTINGS: path }).settings.configRepo).toBe('/srv/config.git');
  });

  it('reads gateways from ADMIN_GATEWAYS with the shared webhook secret', () => {
    const { settings, issues } = load([], { ADMIN_GATEWAYS: 'http://a:5235, http://b:5235/', ADMIN_GATEWAY_WEBHOOK_SECRET: 'shh' });
    expect(issues).toEqual([]);
    expect(settings.gateways).toEqual([
      { url: 'http://a:5235', webhookSecret: 'shh' },
      { url: 'http://b:5235', webhookSecret: 'shh' },
    ]);
    const flag = load(['--gateways', 'http://c:1'], { ADMIN_GATEWAY_WEBHOOK_SECRET: 'shh' });
    expect(flag.settings.gateways).toEqual([{ url: 'http://c:1', webhookSecret: 'shh' }]);
  });

  it('reports bad values naming the variable or flag', () => {
    expect(load(['--port', 'x']).issues).toEqual(['--port: must be an integer between 0 and 65535 (got "x")']);
    expect(load([], { ADMIN_GATEWAYS: 'ftp://x' }).issues).toEqual(['ADMIN_GATEWAYS: must be comma-separated http(s) URLs (got "ftp://x")']);
    expect(load([], { ADMIN_SESSION_TTL: 'forever' }).issues[0]).toStartWith('ADMIN_SESSION_TTL: must be a duration');
    expect(load(['--public-origin', 'https://x.example/path']).issues[0]).toStartWith('--public-origin: must be an http(s) origin');
    expect(load(['--prot', '1']).issues[0]).toBe('unknown flag "--prot" (did you mean "--port"?)');
  });

  it('reports settings file errors with file, line and column', async () => {
    const path = await settingsFile('port: 70000\ngateways:\n  - url: http://x\n    secret: nope\n');
    const issues = load(['--settings', path]).issues;
    expect(issues).toHaveLength(2);
    expect(issues[0]).toStartWith(`${path}:1:7: port: `);
    expect(issues[1]).toContain('unknown key "secret"');
  });

  it('never echoes a secret, and takes secrets only from the environment or the file', async () => {
    const short = load([], { ADMIN_BOOTSTRAP_PASSWORD: 'abc' });
    expect(short.issues).toEqual(['ADMIN_BOOTSTRAP_PASSWORD: must be at least 8 characters long']);
    const flag = load(['--bootstrap-password', 'hunter22hunter']);
    expect(flag.issues).toHaveLength(1);
    expect(flag.issues[0]).toContain('secrets are read from the environment or the settings file only');
    expect(flag.issues.join()).not.toContain('hunter22hunter');
    const path = await settingsFile('gateways:\n  - url: http://x\n    webhookSecret: 42\n');
    const issues = load(['--settings', path]).issues;
    expect(issues.join()).not.toContain('42');
  });

  it('redacts secrets for logs', () => {
    const { settings } = load([], { ADMIN_BOOTSTRAP_PASSWORD: 'long-enough-pw', ADMIN_GATEWAYS: 'http://a:1', ADMIN_GATEWAY_WEBHOOK_SECRET: 'shh' });
    const text = JSON.stringify(redactSettings(settings));
    expect(text).not.toContain('long-enough-pw');
    expect(text).not.toContain('shh');
    expect(settings.bootstrapPassword).toBe('long-enough-pw');
  });

  it('trusts the loopback spellings by default and only the public origin when set', () => {
    expect(trustedOrigins(defaultSettings())).toEqual(['http://127.0.0.1:5234', 'http://localhost:5234', 'http://[::1]:5234']);
    expect(trustedOrigins(load(['--public-origin', 'HTTPS://Admin.Example.com']).settings)).toEqual(['https://admin.example.com']);
    expect(trustedOrigins(load(['--host', 'admin.lan']).settings)).toEqual(['http://admin.lan:5234']);
  });

  it('parses durations', () => {
    expect(durationMs('12h')).toBe(43_200_000);
    expect(durationMs('30m')).toBe(1_800_000);
    expect(durationMs(500)).toBe(500);
  });
});
